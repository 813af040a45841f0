"""The webhook events table: each signed Thinkific event stored once, read back in order.
The receiver appends to it (`store`); the webhook sensor reads it."""
