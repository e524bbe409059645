"""Stages: each ``stage(relay, state) -> state``, a new state and never a changed one, as
the pipeline runs them — plan, plan review, generate, test-fix, the diff review — and the
commit each makes on the branch."""
