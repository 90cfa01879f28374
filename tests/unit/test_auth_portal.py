"""Pure rules of the customer portal: the customer role, a user's account link, the account-scope setting."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from service_core.auth import domain
from service_core.auth.domain import Principal, Role
from service_core.auth.schemas import ApiKeyCreate, UserCreate
from service_core.exceptions import PermissionDenied

PASSWORD = "long enough pass"


def test_the_roles_are_five_staff_roles_and_the_customer():
    assert {r.value for r in Role} == {"admin", "dispatcher", "technician", "finance", "viewer", "customer"}
    assert {Role.ADMIN, Role.DISPATCHER, Role.TECHNICIAN, Role.FINANCE, Role.VIEWER} == domain.STAFF_ROLES
    assert Role.CUSTOMER not in domain.STAFF_ROLES


def test_staff_only_checks_refuse_a_customer_with_a_reason():
    with pytest.raises(PermissionDenied, match="role 'customer' may not do this"):
        domain.ensure_role(Role.CUSTOMER, domain.STAFF_ROLES)
    domain.ensure_role(Role.CUSTOMER, domain.ALL_ROLES)


@pytest.mark.parametrize(
    ("role", "account_id", "problem"),
    [
        (Role.CUSTOMER, 7, None),
        (Role.VIEWER, None, None),
        (Role.ADMIN, None, None),
        (Role.CUSTOMER, None, "a customer user needs the account_id of their customer account"),
        (Role.FINANCE, 7, "only customer users belong to an account; a finance user has no account_id"),
    ],
)
def test_only_customer_users_belong_to_an_account(role: Role, account_id: int | None, problem: str | None):
    assert domain.account_problem(role, account_id) == problem


def test_the_account_scope_is_a_sorted_postgres_array_without_duplicates():
    assert domain.account_scope_setting([7, 3, 7]) == "{3,7}"
    assert domain.account_scope_setting([]) == "{}"


@pytest.mark.parametrize("bad", [[0], [-1], [True], ["3"]])
def test_the_account_scope_refuses_anything_but_positive_ids(bad: list[object]):
    with pytest.raises(ValueError, match="positive integers"):
        domain.account_scope_setting(bad)  # type: ignore[arg-type]


def test_a_principal_knows_whether_it_is_a_customer():
    customer = Principal(kind="user", id=3, name="c", role=Role.CUSTOMER, account_id=9)
    staff = Principal(kind="user", id=4, name="s", role=Role.VIEWER)
    assert customer.is_customer and not staff.is_customer
    assert staff.account_id is None


def test_user_create_checks_the_account_against_the_role():
    user = UserCreate(email="c@example.com", password=PASSWORD, role=Role.CUSTOMER, account_id=5)
    assert user.account_id == 5
    with pytest.raises(ValidationError, match="needs the account_id"):
        UserCreate(email="c@example.com", password=PASSWORD, role=Role.CUSTOMER)
    with pytest.raises(ValidationError, match="only customer users belong to an account"):
        UserCreate(email="c@example.com", password=PASSWORD, role=Role.DISPATCHER, account_id=5)
    with pytest.raises(ValidationError):
        UserCreate(email="c@example.com", password=PASSWORD, role=Role.CUSTOMER, account_id=0)


def test_api_keys_are_for_staff_roles_only():
    assert ApiKeyCreate(name="erp", role=Role.FINANCE).role is Role.FINANCE
    with pytest.raises(ValidationError, match="a customer gets a user"):
        ApiKeyCreate(name="portal", role=Role.CUSTOMER)
