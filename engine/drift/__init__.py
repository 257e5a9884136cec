"""Drift: is the world still the one the learner learned? Watched over the log, said in
``/metrics``, the dashboard and ``offerbandit drift``, and answered (``docs/drift.md``).

Modules, one job each: ``psi`` (PSI and chi-square of binned counts), ``feature_drift``
(context drift per feature), ``page_hinkley`` (the change detector), ``reward_drift`` (reward
streams), ``lift_trend`` (the lift's trend), ``monitor`` (all three over one stream of rows),
``events`` (what is reported), ``log_follower`` (reads the log, saves the state), ``seq_clock``
(when each reward was logged), ``recovery`` (challengers on a confirmed change), ``options``
(``[engine.drift]``).
"""
