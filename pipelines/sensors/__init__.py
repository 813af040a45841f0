"""Dagster sensors: uploads, webhook events, the dashboard's automation and run-completion notices.
Each turns something that happened into run requests or messages."""
