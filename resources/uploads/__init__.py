"""CSV uploads: read with encoding detection, validate every row, stage, import, report.
`UploadsResource` (in `resource`) says where files land and what a file may be."""
