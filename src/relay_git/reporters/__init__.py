"""Reporters: each renders a Review (or ledger entries) to a string; only the CLI prints."""
