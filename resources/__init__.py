"""Resources: everything that talks to Thinkific, the warehouse, the dashboard and uploads.
One subpackage per domain; assets and pipelines call them, they never call back."""
