"""Operators: their accounts and settings, and the records they import."""
