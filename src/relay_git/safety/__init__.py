"""Where a user's data must not go: the test sandbox and secret redaction."""
