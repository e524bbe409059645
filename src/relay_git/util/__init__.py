"""Small shared helpers: the one atomic file write, text folding for one-line messages, a
time limit for work in a thread."""
