"""Thin route handlers, one module per domain; each exposes ``router``."""
