"""Client-side role and permission helpers (no HTTP).

These helpers decide how a user interface should treat a user: as a ``"guest"`` (nobody
signed in), a ``"user"`` or an ``"admin"``. They are a convenience for rendering and early
feedback only; the SPAPS server enforces every permission itself.

A *user* may be a ``dict`` (for example a decoded JSON payload) or any object with
attributes (for example a pydantic model such as ``TokenUser``). The fields read are
``email``, ``wallet_address`` (or ``walletAddress``), ``permissions`` and the server-provided
role fields ``role``, ``roles``, ``isAdmin`` and ``is_admin``.

Admin accounts
--------------
No account is built in. :data:`DEFAULT_ADMIN_ACCOUNTS` is read when used (each access), from the
environment variable ``SPAPS_ADMIN_ACCOUNTS``: a comma-separated list of e-mail addresses and
wallet addresses (an entry containing ``@`` is an e-mail, anything else a wallet)::

    SPAPS_ADMIN_ACCOUNTS="founder@example.com, 0xAbC...123, 7xKX...sAsU"

It is empty when the variable is unset. Admins can also be passed explicitly, per call or per
:class:`PermissionChecker`, as a list whose entries are plain identifiers, :class:`AdminConfig`
objects or dicts shaped like one:

>>> checker = PermissionChecker(customAdmins=[
...     "founder@example.com",
...     AdminConfig(email="ops@example.com", wallets={"ethereum": "0xabc"}),
...     {"email": "cto@example.com", "wallets": {"solana": "So1ana"}},
... ])
>>> checker.isAdmin("0xABC")
True

Role precedence (D10)
---------------------
For a user payload, the role is decided in this order:

1. no user (``None`` or an empty dict) is a ``"guest"``;
2. a server-provided admin marker makes the user an ``"admin"``: ``role == "admin"``
   (case-insensitive), ``"admin"`` among ``roles``, or ``isAdmin is True`` / ``is_admin is
   True``. Such markers can only grant the admin role, never take it away;
3. a payload with neither an e-mail nor a wallet address is a ``"guest"``;
4. an identifier listed in :data:`DEFAULT_ADMIN_ACCOUNTS` or in the custom admins is an
   ``"admin"``;
5. everybody else is a ``"user"``.

Functions that take a bare identifier (:func:`is_admin_account`, :func:`get_user_role`) only
apply steps 3 to 5, since there is no payload to read.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, TypeAlias

__all__ = [
    "ADMIN_ACCOUNTS_ENV_VAR",
    "DEFAULT_ADMIN_ACCOUNTS",  # noqa: F822 - module __getattr__, read when used
    "DEFAULT_ADMIN_IDENTIFIERS",  # noqa: F822 - module __getattr__, read when used
    "AdminConfig",
    "AdminEntry",
    "PermissionCheckResult",
    "PermissionChecker",
    "admin_accounts_from_env",
    "can_access_admin",
    "create_permission_checker",
    "default_permission_checker",
    "get_role_aware_error_message",
    "get_role_for_user",
    "get_user_display",
    "get_user_role",
    "has_permission",
    "is_admin_account",
    "parse_admin_accounts",
]

ADMIN_ACCOUNTS_ENV_VAR = "SPAPS_ADMIN_ACCOUNTS"
"""Name of the environment variable that lists the default admin accounts."""

GUEST = "guest"
USER = "user"
ADMIN = "admin"

_DEFAULT_ACTION = "perform this action"

PERMISSION_MESSAGES: dict[str, dict[str, str]] = {
    ADMIN: {
        USER: (
            "🔒 Admin privileges required to {action}. Please authenticate with an admin account."
        ),
        GUEST: "🔐 Authentication required. Please sign in with an admin account to {action}.",
    },
    USER: {
        GUEST: "🔐 Authentication required. Please sign in to {action}.",
    },
}
"""Message templates keyed by required role, then by current role; ``{action}`` is
substituted by :func:`get_role_aware_error_message`."""


@dataclass(frozen=True)
class AdminConfig:
    """One admin account: an e-mail address and any number of wallet addresses.

    >>> AdminConfig(email="founder@example.com", wallets={"ethereum": "0xabc"}).email
    'founder@example.com'
    """

    email: str
    wallets: dict[str, str] = field(default_factory=dict)


@dataclass
class PermissionCheckResult:
    """The outcome of :func:`can_access_admin` (attribute names are camelCase on purpose,
    matching the published client).

    >>> PermissionCheckResult(allowed=False, reason="Admin privileges required", userRole="user")
    PermissionCheckResult(allowed=False, reason='Admin privileges required', userRole='user', \
requiredRole=None)
    """

    allowed: bool
    reason: str | None
    userRole: str
    requiredRole: str | None = None


AdminEntry: TypeAlias = "str | AdminConfig | Mapping[str, Any]"
"""A custom admin: an identifier, an :class:`AdminConfig` or a dict shaped like one."""

_ETHEREUM_ADDRESS = re.compile(r"0x[0-9a-fA-F]{40}")
_SOLANA_ADDRESS = re.compile(r"[1-9A-HJ-NP-Za-km-z]{32,44}")


def _wallet_kind(address: str) -> str:
    if _ETHEREUM_ADDRESS.fullmatch(address):
        return "ethereum"
    if _SOLANA_ADDRESS.fullmatch(address):
        return "solana"
    return "wallet"


def parse_admin_accounts(value: str | None) -> tuple[AdminConfig, frozenset[str]]:
    """Parse a comma-separated list of admin e-mails and wallet addresses.

    Entries are whitespace-stripped; empty entries are dropped. An entry containing ``@`` is
    an e-mail, anything else a wallet. Returns an :class:`AdminConfig` (``email`` is the first
    e-mail, ``wallets`` every wallet keyed by its chain: ``ethereum``, ``solana`` or ``wallet``,
    suffixed ``_2``, ``_3``... on repeats) together with the lower-cased set of *every*
    identifier, which is what admin checks use.

    >>> config, identifiers = parse_admin_accounts("a@example.com, 0xAB, b@example.com")
    >>> config.email, config.wallets
    ('a@example.com', {'wallet': '0xAB'})
    >>> sorted(identifiers)
    ['0xab', 'a@example.com', 'b@example.com']
    """
    entries = [entry.strip() for entry in (value or "").split(",")]
    entries = [entry for entry in entries if entry]
    email = next((entry for entry in entries if "@" in entry), "")
    wallets: dict[str, str] = {}
    for entry in entries:
        if "@" in entry:
            continue
        kind = _wallet_kind(entry)
        key, counter = kind, 1
        while key in wallets:
            counter += 1
            key = f"{kind}_{counter}"
        wallets[key] = entry
    return AdminConfig(email=email, wallets=wallets), frozenset(e.lower() for e in entries)


def admin_accounts_from_env(
    environ: Mapping[str, str] | None = None,
) -> tuple[AdminConfig, frozenset[str]]:
    """Read the admin accounts from ``SPAPS_ADMIN_ACCOUNTS`` in ``environ`` (default
    :data:`os.environ`); see :func:`parse_admin_accounts`.

    >>> admin_accounts_from_env({"SPAPS_ADMIN_ACCOUNTS": "root@example.com"})[0].email
    'root@example.com'
    """
    source = os.environ if environ is None else environ
    return parse_admin_accounts(source.get(ADMIN_ACCOUNTS_ENV_VAR))


def _default_admins() -> tuple[AdminConfig, frozenset[str]]:
    """The default admin accounts now: those a program assigned to
    ``permissions.DEFAULT_ADMIN_ACCOUNTS``, else ``SPAPS_ADMIN_ACCOUNTS`` as it is set now."""
    assigned = globals().get("DEFAULT_ADMIN_ACCOUNTS")
    if isinstance(assigned, AdminConfig):
        identifiers = globals().get("DEFAULT_ADMIN_IDENTIFIERS")
        return assigned, identifiers if isinstance(identifiers, frozenset) else frozenset()
    return admin_accounts_from_env()


def __getattr__(name: str) -> Any:
    # DEFAULT_ADMIN_ACCOUNTS (the configured admin account, empty unless SPAPS_ADMIN_ACCOUNTS
    # is set) and DEFAULT_ADMIN_IDENTIFIERS (every listed identifier, lower-cased) are read
    # from the environment on each access, so configuration set after import counts.
    if name == "DEFAULT_ADMIN_ACCOUNTS":
        return admin_accounts_from_env()[0]
    if name == "DEFAULT_ADMIN_IDENTIFIERS":
        return admin_accounts_from_env()[1]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _get(user: object, *names: str) -> Any:
    """Read the first present field among ``names`` from a dict or an attribute object."""
    for name in names:
        value = user.get(name) if isinstance(user, Mapping) else getattr(user, name, None)
        if value is not None:
            return value
    return None


def _identifier_of(user: object) -> str | None:
    for name in ("email", "wallet_address", "walletAddress"):
        value = _get(user, name)
        if isinstance(value, str) and value:
            return value
    return None


def _role_name(value: object) -> str | None:
    if isinstance(value, Enum):
        value = value.value
    return value.strip().lower() if isinstance(value, str) else None


def _server_says_admin(user: object) -> bool:
    """True when the payload carries a server-provided admin marker (D10)."""
    if _role_name(_get(user, "role")) == ADMIN:
        return True
    roles = _get(user, "roles")
    # A bare string is one role, not a collection of characters ("badminton" is not admin).
    if isinstance(roles, (str, Enum)):
        roles = [roles]
    if isinstance(roles, Iterable) and any(_role_name(role) == ADMIN for role in roles):
        return True
    return any(_get(user, name) is True for name in ("isAdmin", "is_admin"))


def _matches_config(identifier: str, email: object, wallets: object) -> bool:
    if isinstance(email, str) and email and email.lower() == identifier:
        return True
    if isinstance(wallets, Mapping):
        return any(
            isinstance(wallet, str) and wallet and wallet.lower() == identifier
            for wallet in wallets.values()
        )
    return False


def is_admin_account(
    identifier: str | None, custom_admins: Iterable[AdminEntry] | None = None
) -> bool:
    """Whether ``identifier`` (an e-mail or wallet address) is an admin account.

    It is compared case-insensitively with the configured default accounts and then with
    each custom entry (a ``str``, an :class:`AdminConfig` or a dict with ``email`` and
    ``wallets``; entries of other types are ignored). A falsy identifier is never an admin.

    >>> is_admin_account("Founder@Example.com", ["founder@example.com"])
    True
    >>> is_admin_account(None, ["founder@example.com"])
    False
    """
    if not identifier:
        return False
    wanted = identifier.lower()
    defaults, default_identifiers = _default_admins()
    if wanted in default_identifiers or _matches_config(wanted, defaults.email, defaults.wallets):
        return True
    if custom_admins is None:
        return False
    if isinstance(custom_admins, str):
        custom_admins = [custom_admins]
    for entry in custom_admins:
        if isinstance(entry, str):
            if entry.lower() == wanted:
                return True
        elif isinstance(entry, AdminConfig):
            if _matches_config(wanted, entry.email, entry.wallets):
                return True
        elif isinstance(entry, Mapping) and _matches_config(
            wanted, entry.get("email"), entry.get("wallets")
        ):
            return True
    return False


def get_user_role(
    identifier: str | None = None, custom_admins: Iterable[AdminEntry] | None = None
) -> str:
    """The role of a bare identifier: ``"guest"`` if falsy, ``"admin"`` if it is an admin
    account, else ``"user"``.

    >>> get_user_role(), get_user_role("a@example.com")
    ('guest', 'user')
    >>> get_user_role("A@example.com", ["a@example.com"])
    'admin'
    """
    if not identifier:
        return GUEST
    return ADMIN if is_admin_account(identifier, custom_admins) else USER


def get_role_for_user(
    user: object | None, custom_admins: Iterable[AdminEntry] | None = None
) -> str:
    """The role of a user payload, honouring server-provided role fields (see the module
    docstring for the precedence).

    >>> get_role_for_user({"email": "a@example.com", "roles": ["admin"]})
    'admin'
    >>> get_role_for_user({"email": "a@example.com"}), get_role_for_user(None)
    ('user', 'guest')
    """
    if not user:
        return GUEST
    if _server_says_admin(user):
        return ADMIN
    return get_user_role(_identifier_of(user), custom_admins)


def has_permission(
    user: object | None,
    required_permissions: str | Sequence[str],
    custom_admins: Iterable[AdminEntry] | None = None,
) -> bool:
    """Whether ``user`` holds ``required_permissions`` (one name, or all names of a sequence).

    Admins hold every permission. Other users hold those in their ``permissions`` field.

    >>> has_permission({"email": "a@example.com", "permissions": ["read", "write"]}, ["read"])
    True
    >>> has_permission({"email": "a@example.com", "permissions": ["read"]}, "write")
    False
    >>> has_permission({"email": "a@example.com", "isAdmin": True}, "anything")
    True
    """
    if not user:
        return False
    if get_role_for_user(user, custom_admins) == ADMIN:
        return True
    held = _get(user, "permissions") or []
    # A bare string is one permission; membership in it would be a substring test.
    if isinstance(held, str):
        perms: list[object] = [held]
    elif isinstance(held, Iterable):
        perms = list(held)
    else:
        perms = []
    if isinstance(required_permissions, str):
        return required_permissions in perms
    return all(permission in perms for permission in required_permissions)


def can_access_admin(
    user: object | None, custom_admins: Iterable[AdminEntry] | None = None
) -> PermissionCheckResult:
    """Whether ``user`` may access admin features, with the reason when not.

    >>> can_access_admin(None)
    PermissionCheckResult(allowed=False, reason='Authentication required', userRole='guest', \
requiredRole='admin')
    >>> can_access_admin({"email": "a@example.com", "role": "admin"}).allowed
    True
    """
    if not user:
        return PermissionCheckResult(False, "Authentication required", GUEST, ADMIN)
    role = get_role_for_user(user, custom_admins)
    allowed = role == ADMIN
    return PermissionCheckResult(
        allowed=allowed,
        reason=None if allowed else "Admin privileges required",
        userRole=role,
        requiredRole=ADMIN,
    )


def get_role_aware_error_message(
    required_role: str, user_role: str, action: str = _DEFAULT_ACTION
) -> str:
    """A user-facing message explaining why ``user_role`` cannot do what needs
    ``required_role``.

    >>> get_role_aware_error_message("user", "guest", "comment")
    '🔐 Authentication required. Please sign in to comment.'
    >>> get_role_aware_error_message("admin", "admin")
    'Access denied. Required role: admin, current role: admin'
    """
    template = PERMISSION_MESSAGES.get(required_role, {}).get(user_role)
    if template is None:
        return f"Access denied. Required role: {required_role}, current role: {user_role}"
    # replace() rather than format(): braces inside the template or action stay literal.
    return template.replace("{action}", action)


def get_user_display(
    user: object | None, custom_admins: Iterable[AdminEntry] | None = None
) -> dict[str, Any]:
    """Display data for a user: ``displayName``, ``role``, ``badge`` and ``isAdmin``.

    >>> get_user_display({"wallet_address": "0x1234567890abcdef"})["displayName"]
    '0x1234...cdef'
    >>> get_user_display(None)
    {'displayName': 'Guest', 'role': 'guest', 'badge': None, 'isAdmin': False}
    """
    if user is None:
        return {"displayName": "Guest", "role": GUEST, "badge": None, "isAdmin": False}
    email = _get(user, "email")
    wallet = _get(user, "wallet_address", "walletAddress")
    if isinstance(email, str) and email:
        display_name = email
    elif isinstance(wallet, str) and wallet:
        display_name = wallet[:6] + "..." + wallet[-4:]
    else:
        display_name = "User"
    role = get_role_for_user(user, custom_admins)
    is_admin = role == ADMIN
    return {
        "displayName": display_name,
        "role": role,
        "badge": "👑 Admin" if is_admin else None,
        "isAdmin": is_admin,
    }


class PermissionChecker:
    """Permission helpers bound to a list of custom admins (camelCase API of the published
    client).

    >>> checker = PermissionChecker(customAdmins=["founder@example.com"])
    >>> role = checker.getRole("user@example.com")
    >>> checker.requiresAdmin({"email": "user@example.com"})
    True
    >>> checker.getErrorMessage("admin", role, action="change billing settings")
    '🔒 Admin privileges required to change billing settings. Please authenticate with an \
admin account.'
    """

    def __init__(self, customAdmins: Iterable[AdminEntry] | None = None) -> None:
        if isinstance(customAdmins, str):
            customAdmins = [customAdmins]
        self.custom_admins: list[AdminEntry] = list(customAdmins or [])

    def __repr__(self) -> str:
        return f"PermissionChecker(custom_admins={len(self.custom_admins)})"

    def isAdmin(self, identifier: str | None) -> bool:
        """See :func:`is_admin_account`."""
        return is_admin_account(identifier, self.custom_admins)

    def getRole(self, identifier: str | None = None) -> str:
        """See :func:`get_user_role`."""
        return get_user_role(identifier, self.custom_admins)

    def getRoleForUser(self, user: object | None) -> str:
        """See :func:`get_role_for_user` (honours server-provided role fields)."""
        return get_role_for_user(user, self.custom_admins)

    def hasPermission(self, user: object | None, permissions: str | Sequence[str]) -> bool:
        """See :func:`has_permission`."""
        return has_permission(user, permissions, self.custom_admins)

    def canAccessAdmin(self, user: object | None) -> PermissionCheckResult:
        """See :func:`can_access_admin`."""
        return can_access_admin(user, self.custom_admins)

    def getErrorMessage(self, requiredRole: str, userRole: str, action: str | None = None) -> str:
        """See :func:`get_role_aware_error_message`; a falsy ``action`` becomes
        ``"perform this action"``."""
        return get_role_aware_error_message(requiredRole, userRole, action or _DEFAULT_ACTION)

    def getUserDisplay(self, user: object | None) -> dict[str, Any]:
        """See :func:`get_user_display`."""
        return get_user_display(user, self.custom_admins)

    def requiresAuth(self, user: object | None) -> bool:
        """True only when there is no user at all (``None``)."""
        return user is None

    def requiresAdmin(self, user: object | None) -> bool:
        """True unless ``user`` may access admin features."""
        return not self.canAccessAdmin(user).allowed

    def addCustomAdmin(self, admin: AdminEntry) -> None:
        """Append ``admin`` to the custom admins (duplicates are kept)."""
        self.custom_admins.append(admin)

    def removeCustomAdmin(self, admin: AdminEntry) -> None:
        """Remove every custom admin equal to ``admin``."""
        # In place, so that anyone holding the list sees the removal too.
        self.custom_admins[:] = [entry for entry in self.custom_admins if entry != admin]


def create_permission_checker(
    custom_admins: Iterable[AdminEntry] | None = None,
) -> PermissionChecker:
    """Equivalent to ``PermissionChecker(custom_admins)``."""
    return PermissionChecker(custom_admins)


default_permission_checker = PermissionChecker()
"""A checker with no custom admins (the configured default accounts still apply)."""
