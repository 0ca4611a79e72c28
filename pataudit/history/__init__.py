"""The history of runs: a versioned store (SQLite or PostgreSQL), findings followed across runs, trends,
remediation metrics and the static dashboard."""
