"""The vocabulary (statuses, regimes, reason codes, notice kinds) and pure policy:
journeys, decisions, names, effort, and the rules. No database."""
