"""Stages: each a function of (relay, state), as the pipeline runs them — plan, plan review,
generate, test-fix, the diff review — and the commit each makes on the branch."""
