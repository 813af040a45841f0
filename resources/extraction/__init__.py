"""The one load engine: reads of every Thinkific stream, page by page, into its table.
Checkpoints, completeness, soft deletes, watermarks and load metadata, for REST and GraphQL."""
