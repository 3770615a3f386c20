"""``python -m bench``: the real stack under load, measured against the database's own ceiling.

See docs/benchmarks.md for how to run it and what the figures mean.
"""
