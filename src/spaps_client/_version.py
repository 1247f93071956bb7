"""The single source of the package version (read by hatchling and ``spaps_client``)."""

__version__ = "0.2.0"
