"""Webhook events: the table each signed Thinkific event is stored in once (`store`: the receiver
appends, the webhook sensor reads), and applying them as changes to the Thinkific tables
(`apply`, with `changes`, `versions` and `targeted_reads`)."""
