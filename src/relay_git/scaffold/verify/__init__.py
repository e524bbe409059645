"""Verify: test runs in the sandbox, evidence, the preflight and the honesty gate."""
