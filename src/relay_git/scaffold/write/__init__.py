"""Write: the coder's drafts of code and tests, one request per file, the first draft first;
K drafts judged by each other when it falls short."""
