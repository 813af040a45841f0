"""The `uploads/<format>` assets: one dynamic partition per uploaded CSV file.
Reading, validation and import are `resources.uploads`."""
