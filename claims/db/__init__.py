"""Persistence: models, column types, engine and sessions, migrations, the event log."""
