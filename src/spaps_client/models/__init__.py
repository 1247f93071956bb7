"""Pydantic models of SPAPS responses, one module per domain."""
