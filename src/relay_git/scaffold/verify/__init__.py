"""Verify: test runs in the sandbox, drafts judged by each other, evidence and the gate."""
