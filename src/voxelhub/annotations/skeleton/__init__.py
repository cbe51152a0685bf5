"""The skeleton engine: the columnar in-memory model (`model`), update actions applied to it (`actions`,
checked by `action_values`, staged per tree by `tree_edit`), and its encodings: binary snapshots for storage
(`snapshot`), JSON for the viewer (`viewer_json`, small parts in `plain_json`, numbers in `column_text`).
`facade` is the narrow surface the versioning layer uses."""
