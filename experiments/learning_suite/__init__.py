"""The learning suite: worlds x learners x seeds, one table (``benchmarks/learning_suite.py``).

See ``docs/experiments.md`` (the suite) and ``docs/engine.md`` (what it chose).
"""
