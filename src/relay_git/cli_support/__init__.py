"""What the click commands share and are not commands: building the App and writing output
(common), logging a run (runlog), reading what ``review`` reviews (targets). Click layer:
these may import click, as cli.py and commands/ do."""
