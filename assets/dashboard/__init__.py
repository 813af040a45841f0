"""The `dashboard/<entity>` assets: teams, memberships, seats, the Teams tab and its actions.
The SQL behind them is in `resources.dashboard`."""
