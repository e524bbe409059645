"""Finish: the diff review and its fix rounds, the review notes, and the report."""
