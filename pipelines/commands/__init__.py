"""The command-line programs: the main sync, the UI, the deployment and the webhook receiver.
`python -m pipelines`, `pipelines.ui`, `pipelines.deploy` and `pipelines.webhooks` call in here."""
