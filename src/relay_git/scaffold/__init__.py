"""``relay-git scaffold``: plan, review the plan, generate, test and fix, review the diff."""
