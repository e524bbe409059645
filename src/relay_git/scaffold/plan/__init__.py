"""Plan: the coder's plan, the reviewer's correction, and what the spec means for the tree."""
