"""Unit tests of spaps_client.permissions (contract §6 and departure D10)."""

from __future__ import annotations

import dataclasses
import importlib.util
import sys
from collections.abc import Iterator
from enum import Enum
from types import ModuleType, SimpleNamespace

import pytest
from pydantic import BaseModel

from spaps_client import permissions
from spaps_client.permissions import (
    PERMISSION_MESSAGES,
    AdminConfig,
    PermissionChecker,
    PermissionCheckResult,
    admin_accounts_from_env,
    can_access_admin,
    create_permission_checker,
    default_permission_checker,
    get_role_aware_error_message,
    get_role_for_user,
    get_user_display,
    get_user_role,
    has_permission,
    is_admin_account,
    parse_admin_accounts,
)

ETH = "0x" + "Ab" * 20
SOL = "7xKXtg2CW87d97TXJSDpbD5jBkheTqA83TZRuJosgAsU"


@pytest.fixture(autouse=True)
def no_default_admins(monkeypatch: pytest.MonkeyPatch) -> None:
    """Whatever SPAPS_ADMIN_ACCOUNTS the test process has, these tests start with none."""
    monkeypatch.delenv(permissions.ADMIN_ACCOUNTS_ENV_VAR, raising=False)


@pytest.fixture
def configured_admins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(
        permissions.ADMIN_ACCOUNTS_ENV_VAR, f"root@example.com, {ETH}, {SOL}, ops@example.com"
    )


def _fresh_module() -> ModuleType:
    """Execute permissions.py anew (as an import would), without touching sys.modules."""
    spec = importlib.util.find_spec("spaps_client.permissions")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --- module surface ---------------------------------------------------------------------


def test_permission_messages_are_exact_and_not_exported() -> None:
    assert "PERMISSION_MESSAGES" not in permissions.__all__
    assert PERMISSION_MESSAGES["admin"]["user"] == (
        "🔒 Admin privileges required to {action}. Please authenticate with an admin account."
    )
    assert PERMISSION_MESSAGES["admin"]["guest"] == (
        "🔐 Authentication required. Please sign in with an admin account to {action}."
    )
    assert PERMISSION_MESSAGES["user"]["guest"] == (
        "🔐 Authentication required. Please sign in to {action}."
    )


def test_every_name_in_all_resolves() -> None:
    for name in permissions.__all__:
        assert hasattr(permissions, name), name


def test_admin_config_is_a_frozen_dataclass() -> None:
    config = AdminConfig(email="a@example.com", wallets={"ethereum": ETH})
    assert [f.name for f in dataclasses.fields(AdminConfig)] == ["email", "wallets"]
    assert config.wallets == {"ethereum": ETH}
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.email = "b@example.com"  # type: ignore[misc]
    assert AdminConfig("x@example.com").wallets == {}


def test_permission_check_result_has_camel_case_fields() -> None:
    result = PermissionCheckResult(allowed=True, reason=None, userRole="admin")
    assert [f.name for f in dataclasses.fields(PermissionCheckResult)] == [
        "allowed",
        "reason",
        "userRole",
        "requiredRole",
    ]
    assert result.requiredRole is None


# --- D10: admin accounts from configuration ---------------------------------------------


def test_default_admin_accounts_are_empty_without_configuration(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("SPAPS_ADMIN_ACCOUNTS", raising=False)
    module = _fresh_module()
    defaults, identifiers = module.DEFAULT_ADMIN_ACCOUNTS, module.DEFAULT_ADMIN_IDENTIFIERS
    assert defaults == module.AdminConfig(email="", wallets={})
    assert identifiers == frozenset()
    assert not module.is_admin_account("anyone@example.com")
    assert module.default_permission_checker.getRole("anyone@example.com") == "user"


def test_default_admin_accounts_are_read_from_the_environment_when_used(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SPAPS_ADMIN_ACCOUNTS", f" Root@Example.com ,, {ETH},{SOL}, b@example.com ")
    module = _fresh_module()
    assert module.DEFAULT_ADMIN_ACCOUNTS.email == "Root@Example.com"
    assert module.DEFAULT_ADMIN_ACCOUNTS.wallets == {"ethereum": ETH, "solana": SOL}
    for identifier in ("root@example.com", ETH.upper().replace("0X", "0x"), SOL.lower()):
        assert module.is_admin_account(identifier)
    # Every listed e-mail counts, not only the first one.
    assert module.is_admin_account("B@EXAMPLE.COM")
    assert not module.is_admin_account("c@example.com")
    assert module.default_permission_checker.requiresAdmin({"email": "b@example.com"}) is False
    # The environment is read when used: configuration set after import counts.
    monkeypatch.setenv("SPAPS_ADMIN_ACCOUNTS", "late@example.com")
    assert module.is_admin_account("late@example.com")
    assert not module.is_admin_account("b@example.com")
    assert module.DEFAULT_ADMIN_ACCOUNTS.email == "late@example.com"


def test_parse_admin_accounts_classifies_and_normalises() -> None:
    other_eth = "0x" + "1" * 40
    config, identifiers = parse_admin_accounts(
        f" a@example.com , , {ETH}, {other_eth}, {SOL}, not-a-known-wallet, B@example.com,"
    )
    assert config.email == "a@example.com"
    assert config.wallets == {
        "ethereum": ETH,
        "ethereum_2": other_eth,
        "solana": SOL,
        "wallet": "not-a-known-wallet",
    }
    assert identifiers == frozenset(
        {
            "a@example.com",
            "b@example.com",
            ETH.lower(),
            other_eth,
            SOL.lower(),
            "not-a-known-wallet",
        }
    )


@pytest.mark.parametrize("value", [None, "", " , ,"])
def test_parse_admin_accounts_empty(value: str | None) -> None:
    assert parse_admin_accounts(value) == (AdminConfig(email="", wallets={}), frozenset())


def test_admin_accounts_from_env_reads_the_given_mapping() -> None:
    config, identifiers = admin_accounts_from_env({"SPAPS_ADMIN_ACCOUNTS": "x@example.com"})
    assert config.email == "x@example.com"
    assert identifiers == {"x@example.com"}
    assert admin_accounts_from_env({}) == (AdminConfig(email="", wallets={}), frozenset())


def test_admin_accounts_from_env_defaults_to_os_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPAPS_ADMIN_ACCOUNTS", "env@example.com")
    assert admin_accounts_from_env()[1] == {"env@example.com"}


@pytest.mark.usefixtures("configured_admins")
def test_configured_defaults_apply_everywhere() -> None:
    assert is_admin_account("ROOT@example.com")
    assert is_admin_account("ops@example.com")
    assert is_admin_account(ETH.lower())
    assert is_admin_account(SOL.upper())  # Solana too is compared case-insensitively
    assert get_user_role("ops@example.com") == "admin"
    assert can_access_admin({"wallet_address": ETH}).allowed
    assert PermissionChecker().isAdmin("root@example.com")


def test_defaults_given_only_as_admin_config_are_honoured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        permissions,
        "DEFAULT_ADMIN_ACCOUNTS",
        AdminConfig(email="Boss@example.com", wallets={"ethereum": ETH, "solana": SOL}),
    )
    assert is_admin_account("boss@example.com")
    assert is_admin_account(ETH)
    assert is_admin_account(SOL)
    assert not is_admin_account("other@example.com")


# --- is_admin_account / get_user_role ---------------------------------------------------


@pytest.mark.parametrize("identifier", [None, ""])
def test_falsy_identifier_is_never_admin(identifier: str | None) -> None:
    assert is_admin_account(identifier, [""]) is False
    assert get_user_role(identifier, ["x@example.com"]) == "guest"


def test_string_custom_admins_match_case_insensitively() -> None:
    admins = ["Founder@Example.com"]
    assert is_admin_account("founder@example.com", admins) is True
    assert is_admin_account("FOUNDER@EXAMPLE.COM", admins) is True
    assert is_admin_account("founder@example.co", admins) is False
    assert is_admin_account("founder@example.com") is False


def test_admin_config_and_dict_entries_match_email_or_any_wallet() -> None:
    admins: list[permissions.AdminEntry] = [
        AdminConfig(email="cfg@example.com", wallets={"ethereum": ETH}),
        {"email": "dict@example.com", "wallets": {"solana": SOL, "other": "W1"}},
    ]
    for identifier in ("cfg@example.com", ETH.lower(), "DICT@example.com", SOL, "w1"):
        assert is_admin_account(identifier, admins), identifier
    assert not is_admin_account("nobody@example.com", admins)


def test_entries_of_other_types_are_ignored() -> None:
    admins = [42, None, ["x@example.com"], ("x@example.com",), {"emails": "x@example.com"}]
    assert is_admin_account("x@example.com", admins) is False  # type: ignore[arg-type]
    # Malformed dict fields are ignored rather than raising.
    bad_dicts = [{"email": 5, "wallets": ["x@example.com"]}, {"wallets": {"k": 7}}]
    assert is_admin_account("x@example.com", bad_dicts) is False


def test_a_bare_string_of_custom_admins_is_one_entry() -> None:
    assert is_admin_account("a@example.com", "a@example.com") is True
    assert is_admin_account("a", "a@example.com") is False


def test_get_user_role() -> None:
    assert get_user_role() == "guest"
    assert get_user_role("u@example.com") == "user"
    assert get_user_role("u@example.com", ["U@example.com"]) == "admin"


# --- has_permission ---------------------------------------------------------------------


@pytest.mark.parametrize("user", [None, {}])
def test_has_permission_false_without_user(user: dict[str, object] | None) -> None:
    assert has_permission(user, []) is False
    assert has_permission(user, "read") is False


def test_has_permission_for_plain_users() -> None:
    user = {"email": "u@example.com", "permissions": ["read", "write"]}
    assert has_permission(user, "read") is True
    assert has_permission(user, "delete") is False
    assert has_permission(user, ["read", "write"]) is True
    assert has_permission(user, ("read", "delete")) is False
    assert has_permission(user, []) is True
    assert has_permission({"email": "u@example.com"}, "read") is False
    assert has_permission({"email": "u@example.com", "permissions": None}, []) is True


def test_has_permission_string_permissions_are_not_substring_tests() -> None:
    user = {"email": "u@example.com", "permissions": "readonly"}
    assert has_permission(user, "read") is False
    assert has_permission(user, "readonly") is True
    assert has_permission({"email": "u@example.com", "permissions": 3}, "read") is False


def test_admins_hold_every_permission() -> None:
    user = {"email": "boss@example.com", "permissions": []}
    assert has_permission(user, "anything", ["boss@example.com"]) is True
    assert has_permission(user, ["a", "b"], ["boss@example.com"]) is True
    assert has_permission({"email": "x@example.com", "role": "admin"}, "anything") is True


# --- can_access_admin -------------------------------------------------------------------


@pytest.mark.parametrize("user", [None, {}])
def test_can_access_admin_without_user(user: dict[str, object] | None) -> None:
    assert can_access_admin(user) == PermissionCheckResult(
        False, "Authentication required", "guest", "admin"
    )


def test_can_access_admin_with_user_and_admin() -> None:
    admins = ["boss@example.com"]
    assert can_access_admin({"email": "u@example.com"}, admins) == PermissionCheckResult(
        allowed=False, reason="Admin privileges required", userRole="user", requiredRole="admin"
    )
    assert can_access_admin({"email": "boss@example.com"}, admins) == PermissionCheckResult(
        allowed=True, reason=None, userRole="admin", requiredRole="admin"
    )
    assert can_access_admin({"wallet_address": ETH}, [ETH.lower()]).allowed


def test_a_payload_without_identifier_is_a_guest() -> None:
    result = can_access_admin({"name": "Nobody"})
    assert result == PermissionCheckResult(False, "Admin privileges required", "guest", "admin")


def test_email_takes_precedence_over_wallet_as_identifier() -> None:
    user = {"email": "u@example.com", "wallet_address": ETH}
    assert not can_access_admin(user, [ETH]).allowed
    assert can_access_admin({"email": "", "wallet_address": ETH}, [ETH]).allowed


# --- D10: server-provided role information ----------------------------------------------


class Role(str, Enum):
    ADMIN = "admin"
    USER = "user"


class TokenUserModel(BaseModel):
    id: str
    email: str | None = None
    wallet_address: str | None = None
    role: str | None = None
    roles: list[str] = []
    isAdmin: bool | None = None
    permissions: list[str] = []


@pytest.mark.parametrize(
    "claims",
    [
        {"role": "admin"},
        {"role": " Admin "},
        {"role": Role.ADMIN},
        {"roles": ["viewer", "admin"]},
        {"roles": ("ADMIN",)},
        {"roles": "admin"},
        {"isAdmin": True},
        {"is_admin": True},
    ],
)
def test_server_admin_markers_grant_admin(claims: dict[str, object]) -> None:
    user = {"email": "u@example.com", **claims}
    assert can_access_admin(user).allowed
    assert has_permission(user, "billing:write")
    assert get_user_display(user)["isAdmin"] is True
    assert PermissionChecker().requiresAdmin(user) is False
    assert get_role_for_user(user) == "admin"


@pytest.mark.parametrize(
    "claims",
    [
        {"role": "user"},
        {"role": Role.USER},
        {"role": "administrator"},
        {"roles": ["viewer"]},
        {"roles": "badminton"},
        {"roles": 7},
        {"isAdmin": "true"},
        {"isAdmin": 1},
        {"is_admin": False},
        {"role": None, "roles": None, "isAdmin": None},
    ],
)
def test_other_claims_do_not_grant_admin(claims: dict[str, object]) -> None:
    user = {"email": "u@example.com", **claims}
    assert can_access_admin(user).allowed is False
    assert get_role_for_user(user) == "user"
    assert PermissionChecker().requiresAdmin(user) is True


def test_server_claims_cannot_demote_a_configured_admin() -> None:
    user = {"email": "boss@example.com", "role": "user", "isAdmin": False, "roles": []}
    assert can_access_admin(user, ["boss@example.com"]).allowed


def test_server_claim_makes_admin_even_without_identifier() -> None:
    assert can_access_admin({"isAdmin": True}).userRole == "admin"
    assert get_user_display({"role": "admin"}) == {
        "displayName": "User",
        "role": "admin",
        "badge": "👑 Admin",
        "isAdmin": True,
    }


def test_users_may_be_attribute_objects() -> None:
    model = TokenUserModel(id="u1", email="u@example.com", permissions=["read"])
    assert has_permission(model, "read") and not has_permission(model, "write")
    assert can_access_admin(model).userRole == "user"
    assert can_access_admin(model, ["u@example.com"]).allowed
    assert can_access_admin(model.model_copy(update={"roles": ["admin"]})).allowed
    assert can_access_admin(model.model_copy(update={"isAdmin": True})).allowed
    wallet_user = SimpleNamespace(wallet_address=ETH, role="admin")
    assert get_user_display(wallet_user)["displayName"] == ETH[:6] + "..." + ETH[-4:]
    assert get_user_display(wallet_user)["isAdmin"] is True
    assert can_access_admin(SimpleNamespace()).userRole == "guest"


def test_camel_case_wallet_address_is_an_identifier() -> None:
    assert can_access_admin({"walletAddress": SOL}, [SOL]).allowed


# --- messages and display ---------------------------------------------------------------


def test_role_aware_error_messages() -> None:
    assert get_role_aware_error_message("admin", "user", "delete users") == (
        "🔒 Admin privileges required to delete users. Please authenticate with an admin account."
    )
    assert get_role_aware_error_message("admin", "guest") == (
        "🔐 Authentication required. Please sign in with an admin account to perform this action."
    )
    assert get_role_aware_error_message("user", "guest", "post") == (
        "🔐 Authentication required. Please sign in to post."
    )
    assert get_role_aware_error_message("user", "admin", "post") == (
        "Access denied. Required role: user, current role: admin"
    )
    assert get_role_aware_error_message("owner", "user") == (
        "Access denied. Required role: owner, current role: user"
    )


def test_action_text_is_inserted_literally() -> None:
    message = get_role_aware_error_message("user", "guest", "edit {action} {0} {}")
    assert message == "🔐 Authentication required. Please sign in to edit {action} {0} {}."


def test_user_display() -> None:
    assert get_user_display(None) == {
        "displayName": "Guest",
        "role": "guest",
        "badge": None,
        "isAdmin": False,
    }
    assert get_user_display({"email": "u@example.com", "wallet_address": ETH}) == {
        "displayName": "u@example.com",
        "role": "user",
        "badge": None,
        "isAdmin": False,
    }
    assert get_user_display({"wallet_address": "0x1234567890abcdef"})["displayName"] == (
        "0x1234...cdef"
    )
    assert get_user_display({}) == {
        "displayName": "User",
        "role": "guest",
        "badge": None,
        "isAdmin": False,
    }
    admin = get_user_display({"email": "boss@example.com"}, ["boss@example.com"])
    assert admin == {
        "displayName": "boss@example.com",
        "role": "admin",
        "badge": "👑 Admin",
        "isAdmin": True,
    }


# --- PermissionChecker ------------------------------------------------------------------


def test_seed_readme_example() -> None:
    checker = PermissionChecker(customAdmins=["founder@example.com"])
    role = checker.getRole("user@example.com")
    assert role == "user"
    assert checker.requiresAdmin({"email": "user@example.com"}) is True
    assert checker.requiresAdmin({"email": "founder@example.com"}) is False
    with pytest.raises(PermissionError) as caught:
        if checker.requiresAdmin({"email": "user@example.com"}):
            raise PermissionError(
                checker.getErrorMessage("admin", role, action="change billing settings")
            )
    assert str(caught.value) == (
        "🔒 Admin privileges required to change billing settings. "
        "Please authenticate with an admin account."
    )


def test_checker_keeps_a_list_copy_of_custom_admins() -> None:
    admins = ["a@example.com"]
    checker = PermissionChecker(customAdmins=admins)
    admins.append("b@example.com")
    assert checker.custom_admins == ["a@example.com"]
    assert isinstance(checker.custom_admins, list)
    assert PermissionChecker().custom_admins == []
    assert PermissionChecker(customAdmins=("t@example.com",)).custom_admins == ["t@example.com"]


def test_checker_methods_delegate_with_custom_admins() -> None:
    checker = PermissionChecker(customAdmins=["boss@example.com"])
    boss = {"email": "boss@example.com"}
    user = {"email": "u@example.com", "permissions": ["read"]}
    assert checker.isAdmin("BOSS@example.com") and not checker.isAdmin("u@example.com")
    assert checker.getRole() == "guest"
    assert checker.getRole("boss@example.com") == "admin"
    assert checker.getRoleForUser(boss) == "admin"
    assert checker.getRoleForUser({"email": "u@example.com", "isAdmin": True}) == "admin"
    assert checker.hasPermission(user, "read") and not checker.hasPermission(user, "write")
    assert checker.hasPermission(boss, ["write", "delete"])
    assert checker.canAccessAdmin(boss).allowed
    assert checker.canAccessAdmin(user).reason == "Admin privileges required"
    assert checker.getUserDisplay(boss)["badge"] == "👑 Admin"
    assert checker.getUserDisplay(None)["displayName"] == "Guest"


@pytest.mark.parametrize("action", [None, ""])
def test_get_error_message_defaults_a_falsy_action(action: str | None) -> None:
    assert PermissionChecker().getErrorMessage("user", "guest", action) == (
        "🔐 Authentication required. Please sign in to perform this action."
    )


def test_requires_auth_only_for_none() -> None:
    checker = PermissionChecker()
    assert checker.requiresAuth(None) is True
    assert checker.requiresAuth({}) is False
    assert checker.requiresAuth({"email": "u@example.com"}) is False


def test_requires_admin() -> None:
    checker = PermissionChecker()
    assert checker.requiresAdmin(None) is True
    assert checker.requiresAdmin({"email": "u@example.com"}) is True
    assert checker.requiresAdmin({"email": "u@example.com", "roles": ["admin"]}) is False


def test_add_and_remove_custom_admins() -> None:
    checker = PermissionChecker()
    checker.addCustomAdmin("a@example.com")
    checker.addCustomAdmin("a@example.com")
    config = AdminConfig(email="c@example.com", wallets={})
    checker.addCustomAdmin(config)
    assert checker.custom_admins == ["a@example.com", "a@example.com", config]
    assert checker.isAdmin("c@example.com")
    held = checker.custom_admins
    checker.removeCustomAdmin("a@example.com")
    assert checker.custom_admins == [config]
    assert held is checker.custom_admins
    assert not checker.isAdmin("a@example.com")
    checker.removeCustomAdmin(AdminConfig(email="c@example.com", wallets={}))
    assert checker.custom_admins == []
    checker.removeCustomAdmin("missing@example.com")  # removing an absent entry is a no-op


def test_factory_and_default_checker() -> None:
    checker = create_permission_checker(["f@example.com"])
    assert isinstance(checker, PermissionChecker)
    assert checker.custom_admins == ["f@example.com"]
    assert create_permission_checker().custom_admins == []
    assert isinstance(default_permission_checker, PermissionChecker)
    assert default_permission_checker.custom_admins == []
    assert default_permission_checker.getRole("someone@example.com") == "user"


def test_checker_repr_does_not_list_accounts() -> None:
    checker = PermissionChecker(customAdmins=["secret-admin@example.com"])
    assert "secret-admin" not in repr(checker)


@pytest.fixture
def _restore_modules() -> Iterator[None]:
    before = dict(sys.modules)
    yield
    assert sys.modules.get("spaps_client.permissions") is before.get("spaps_client.permissions")


@pytest.mark.usefixtures("_restore_modules")
def test_fresh_load_helper_leaves_the_imported_module_alone() -> None:
    module = _fresh_module()
    assert module is not permissions
