"""Sub-clients, one module per domain; each endpoint is defined once for sync and async."""
