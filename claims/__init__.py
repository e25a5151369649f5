"""The domain of Effortless: models, rules, decision policy, effort. No Flask, no Redis."""
