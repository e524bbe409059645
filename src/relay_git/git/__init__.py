"""Everything relay-git does with git: ``run.git`` starts every git process.

``repo`` (the user's repository), ``worktree`` (the relay's own branch and worktree),
``runstate`` (a relay run's resume state and lock) and ``edits`` (applying model edits
inside a worktree). This ``__init__`` imports nothing, so the commit hook stays fast.
"""
