"""The `thinkific/<stream>` assets and their checks, built from the stream registry.
Each asset reads its stream through the load engine (`resources.extraction`)."""
