"""Adapters at the edge: each port has a real implementation and an in-memory fake."""
