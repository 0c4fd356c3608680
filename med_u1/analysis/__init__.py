"""Reasoning behaviour in generation dumps (``medu1 analyze``) and plots of training metrics (``medu1 plot``).

See ``docs/analysis.md`` for every rule and threshold.
"""
