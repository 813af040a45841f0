"""The data's shape, importing nothing of the project: pandera models of every table, and the
Thinkific stream registry (`schemas.thinkific`); uploads, the dashboard and webhooks have theirs."""
