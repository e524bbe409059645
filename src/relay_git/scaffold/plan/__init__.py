"""Plan: the plan's reply schema, the spec, and what the spec means for the tree."""
