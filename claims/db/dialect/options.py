"""The execution options our statements and transactions carry, which each dialect's
engine set-up reads (claims.db.dialect.sqlite, claims.db.dialect.postgresql)."""

# Marks a transaction as one that writes. On SQLite it begins with BEGIN IMMEDIATE,
# everything else with a plain (deferred) BEGIN.
WRITES = "effortless_writes"

# Marks the statements PostgreSQL keeps prepared on each connection.
PREPARED = "effortless_prepared"
