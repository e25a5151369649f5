"""Compensation rules: pure functions from journey facts and fare to an Assessment."""
