"""Writes for screening, plans, booking and session logs: one module per domain."""
