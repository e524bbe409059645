"""relay-git's benchmark: relay vs large-only on real local models, and diff scale.

Run ``python -m bench`` (see bench/__main__.py); results land in bench/results/.
"""
