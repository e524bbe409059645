"""Finish: the reviewer's verdict, the review notes, and the report."""
