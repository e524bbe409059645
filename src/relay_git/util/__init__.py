"""Small shared helpers: the one atomic file write, text folding for one-line messages."""
