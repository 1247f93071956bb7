"""The errors of :mod:`spaps_client.testing`."""

from __future__ import annotations

__all__ = ["MailNotFoundError", "MissingExtraError", "SpapsTestingError"]


class SpapsTestingError(RuntimeError):
    """A test helper could not do its job (the server did not start, no mail arrived)."""


class MissingExtraError(SpapsTestingError, ImportError):
    """A helper needs a module of the ``server`` extra that is not installed."""

    def __init__(self, feature: str, module: str) -> None:
        super().__init__(
            f"{feature} needs the server extra: pip install 'spaps[server]' "
            f"(missing module: {module})"
        )
        self.module = module


class MailNotFoundError(SpapsTestingError, LookupError):
    """No message of the expected kind reached the address in time."""


def require_module(feature: str, module: str) -> None:
    """Raise :class:`MissingExtraError` naming ``feature`` unless ``module`` is importable."""
    import importlib.util

    if importlib.util.find_spec(module) is None:
        raise MissingExtraError(feature, module)
