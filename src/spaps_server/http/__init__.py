"""The HTTP layer: envelopes, error mapping, middleware and dependencies."""
