"""The estimators: one per module, behind :func:`~ope.estimators.estimate.estimate`.

Each estimator module provides per-row columns and a smooth function of their means
(:mod:`ope.estimators.protocol`), so that the :class:`~ope.estimators.accumulator.Accumulator`
can stream, merge and give intervals for every one of them alike.
"""
