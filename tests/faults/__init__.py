"""Fault-matrix and soak tests: what a user sees while the server misbehaves."""
