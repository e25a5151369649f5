"""The domain of Effortless, in packages by role; no Flask, no Redis. See docs/architecture.md."""
