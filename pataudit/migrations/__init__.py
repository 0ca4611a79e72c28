"""Alembic migrations of the history store; applied automatically when a store is opened."""
