"""The B2B dashboard's tables and set-based SQL: team mapping, seats, imports, team actions.
`DashboardStore` (in `store`) holds the tables; each other module is one operation on it."""
