"""NML files and annotation zips, both ways. Reading: `reader` (the front door) runs the fast SAX path
(`sax_reader`) that fills trees column by column (`tree_columns`) and reads the small elements with
`element_readers`, inside the bounds of `limits`, raising `errors.NmlError`. Writing: `writer`.
`annotation_zip` packs and unpacks an NML with its volume archives."""
