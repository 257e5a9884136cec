"""Logged decisions as arrays (:class:`~ope.readers.logged_decisions.LoggedDecisions`), from the
engine's Parquet export or Vowpal Wabbit DSJSON."""
