"""SPAPS Python SDK."""
