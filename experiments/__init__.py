"""Experiments: the lab. Ray-parallel evaluation grids, off-policy estimators, regret and lift."""
