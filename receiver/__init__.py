"""The Thinkific webhook receiver: a small ASGI app that verifies, de-duplicates and lands events.

Run it with `python -m pipelines.webhooks` (see there); `receiver.app.create_app` builds it and
`receiver.server` says how it is served.
"""
