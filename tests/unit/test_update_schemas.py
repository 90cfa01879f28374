"""PATCH schemas: a field may be left out, but a JSON null only where the stored column may be empty."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, ValidationError

from service_core.accounts.schemas import AccountUpdate, ContactUpdate, LocationUpdate
from service_core.agreements.schemas import AgreementUpdate, PmPlanUpdate
from service_core.assets.schemas import AssetUpdate
from service_core.catalog.schemas import ItemUpdate, PriceListUpdate
from service_core.policies.schemas import CalendarUpdate, SlaTargetUpdate
from service_core.resources.schemas import ResourceUpdate
from service_core.work_orders.schemas import LineUpdate, WorkOrderUpdate

# every field of every Update schema, split by whether null is meaningful (the column may be NULL, or null means
# "the default"/"no check") or refused (NOT NULL column): a new field must be placed in one of the two
NULLABLE: dict[type[BaseModel], set[str]] = {
    WorkOrderUpdate: {"window_start", "window_end", "version"},
    LineUpdate: {"quantity_to_bill", "unit_price"},
    AgreementUpdate: {"labour_rate", "price_list_id", "calendar_id"},
    PmPlanUpdate: {"interval_days", "interval_run_hours", "first_due_date"},
    CalendarUpdate: {"hours", "holidays"},
    SlaTargetUpdate: {"calendar_id"},
    ItemUpdate: set(),
    PriceListUpdate: set(),
    AssetUpdate: {"location_id", "parent_id", "asset_type_id", "serial_number", "install_date", "warranty_end"},
    ResourceUpdate: {"user_id", "territory_id"},
    AccountUpdate: {"billing_account_id", "credit_limit", "price_list_id", "tenant", "email", "phone"},
    ContactUpdate: {"email", "phone", "role"},
    LocationUpdate: {"territory_id"},
}
REFUSED: dict[type[BaseModel], set[str]] = {
    WorkOrderUpdate: {"summary", "description", "estimated_minutes"},
    LineUpdate: {"line_status", "quantity"},
    AgreementUpdate: {
        "name",
        "start_date",
        "end_date",
        "covers_all_assets",
        "covered_work_types",
        "covers_labour",
        "covers_parts",
        "covers_travel",
        "discount_pct",
        "periodic_fee",
        "billing_period_months",
    },
    PmPlanUpdate: {"lead_days", "is_active"},
    CalendarUpdate: {"name", "timezone", "always_open"},
    SlaTargetUpdate: {"response_minutes", "resolution_minutes", "warning_fraction"},
    ItemUpdate: {"sku", "name", "kind", "unit", "unit_cost", "unit_price", "is_active"},
    PriceListUpdate: {"name", "currency", "minimum_charge", "is_default"},
    AssetUpdate: {"level", "name", "model", "criticality", "status"},
    ResourceUpdate: {
        "name",
        "kind",
        "home_latitude",
        "home_longitude",
        "timezone",
        "hourly_cost",
        "hourly_bill_rate",
        "is_active",
    },
    AccountUpdate: {"number", "name", "kind", "currency", "payment_terms_days", "tax_rate", "is_active"},
    ContactUpdate: {"name", "is_primary"},
    LocationUpdate: {"name", "address", "latitude", "longitude", "timezone"},
}
NOT_NULLABLE_BY_TYPE = {"clear_calendar"}  # a plain bool: pydantic refuses null already


def _name(value: object) -> str:
    return value.__name__ if isinstance(value, type) else str(value)


@pytest.mark.parametrize("schema", list(NULLABLE), ids=_name)
def test_every_update_field_is_classified(schema: type[BaseModel]) -> None:
    assert set(schema.model_fields) - NOT_NULLABLE_BY_TYPE == NULLABLE[schema] | REFUSED[schema]
    assert not NULLABLE[schema] & REFUSED[schema]


@pytest.mark.parametrize(
    ("schema", "field"), [(s, f) for s, fields in REFUSED.items() for f in sorted(fields)], ids=_name
)
def test_null_for_a_not_null_column_is_refused_naming_the_field(schema: type[BaseModel], field: str) -> None:
    with pytest.raises(ValidationError) as raised:
        schema.model_validate({field: None})
    assert [(e["loc"], e["msg"]) for e in raised.value.errors()] == [
        ((field,), "Value error, may be left out, but not null")
    ]


@pytest.mark.parametrize(
    ("schema", "field"), [(s, f) for s, fields in NULLABLE.items() for f in sorted(fields)], ids=_name
)
def test_null_is_taken_where_it_means_something(schema: type[BaseModel], field: str) -> None:
    update = schema.model_validate({field: None})
    assert update.model_dump(exclude_unset=True) == {field: None}


def test_fields_left_out_stay_unset() -> None:
    assert LineUpdate.model_validate({}).model_dump(exclude_unset=True) == {}
    assert WorkOrderUpdate.model_validate({"summary": "x"}).model_dump(exclude_unset=True) == {"summary": "x"}
