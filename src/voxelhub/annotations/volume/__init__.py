"""Volume annotation layers: zarr v3 arrays per mag (`layers`, stored through `copy_on_write_store` so that
forks share chunks), the layer service behind the HTTP routes (`service`), and volume data in annotation
zips (`exchange`, which reads what an archive holds with `archive_contents`, `wkw_reader` and
`chunk_codecs`)."""
