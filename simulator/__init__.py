"""Simulator: a gymnasium world of customers who answer messages."""
