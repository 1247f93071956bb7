"""Domain services: business rules, no HTTP. They raise ``spaps_server.domain.errors``."""
