"""The catalogue through HTTP: items, price lists with one default, item prices, and which price applies."""

from __future__ import annotations

from decimal import Decimal

import psycopg
import pytest
from fastapi.testclient import TestClient

from service_core.auth.domain import Role
from service_core.catalog import service as catalog_service
from service_core.exceptions import NotFound
from tests.support.api import headers_for

pytestmark = pytest.mark.integration


def test_items_crud_filters_and_refusals(api: TestClient, database_url: str, finance):
    new = {"sku": "FLT-1", "name": "Filter", "kind": "product", "unit_cost": "4.10", "unit_price": "9.90"}
    created = api.post("/catalog/items", json=new, headers=finance)
    assert created.status_code == 201 and created.json()["unit"] == "each"
    api.post("/catalog/items", json={"sku": "LAB", "name": "Labour", "kind": "labour", "unit": "hour"}, headers=finance)
    assert api.post("/catalog/items", json=new, headers=finance).status_code == 409
    bad = api.post("/catalog/items", json={**new, "sku": "x y", "unit_price": "-1", "unit": "ton"}, headers=finance)
    assert bad.status_code == 422
    assert {f["field"] for f in bad.json()["error"]["fields"]} == {"sku", "unit_price", "unit"}
    skus = lambda **p: [i["sku"] for i in api.get("/catalog/items", params=p, headers=finance).json()["items"]]  # noqa: E731
    assert skus() == ["FLT-1", "LAB"]
    assert skus(kind="labour") == ["LAB"]
    assert skus(q="filt") == ["FLT-1"]
    item_id = created.json()["id"]
    patched = api.patch(f"/catalog/items/{item_id}", json={"unit_price": "10.50", "is_active": False}, headers=finance)
    assert (patched.json()["unit_price"], patched.json()["is_active"]) == ("10.50", False)
    assert skus(is_active=True) == ["LAB"]
    assert api.patch(f"/catalog/items/{item_id}", json={"sku": "LAB"}, headers=finance).status_code == 409
    assert api.get("/catalog/items/999", headers=finance).status_code == 404
    dispatcher = headers_for(database_url, Role.DISPATCHER)
    assert api.post("/catalog/items", json={**new, "sku": "D"}, headers=dispatcher).status_code == 403
    assert api.get("/catalog/items", headers=dispatcher).status_code == 200


def test_price_lists_one_default_and_the_price_that_applies(api: TestClient, database_url: str, finance):
    item = api.post(
        "/catalog/items", json={"sku": "F", "name": "Filter", "kind": "product", "unit_price": "10"}, headers=finance
    ).json()
    standard = api.post("/catalog/price-lists", json={"name": "Standard", "is_default": True}, headers=finance).json()
    vip = api.post(
        "/catalog/price-lists", json={"name": "VIP", "currency": "EUR", "minimum_charge": "50"}, headers=finance
    ).json()
    assert api.post("/catalog/price-lists", json={"name": "VIP"}, headers=finance).status_code == 409

    def price(list_id: int | None) -> str:
        params = {} if list_id is None else {"price_list_id": list_id}
        return api.get(f"/catalog/items/{item['id']}/price", params=params, headers=finance).json()["unit_price"]

    assert price(vip["id"]) == "10.00"  # no list has it: the list price
    api.put(f"/catalog/price-lists/{standard['id']}/items/{item['id']}", json={"unit_price": "9"}, headers=finance)
    assert price(vip["id"]) == "9.00" and price(None) == "9.00"  # the default list's
    put = api.put(f"/catalog/price-lists/{vip['id']}/items/{item['id']}", json={"unit_price": "8.5"}, headers=finance)
    assert put.status_code == 200 and (put.json()["sku"], put.json()["unit_price"]) == ("F", "8.50")
    assert price(vip["id"]) == "8.50"
    assert [p["unit_price"] for p in api.get(f"/catalog/price-lists/{vip['id']}/items", headers=finance).json()] == [
        "8.50"
    ]

    made_default = api.patch(f"/catalog/price-lists/{vip['id']}", json={"is_default": True}, headers=finance)
    assert made_default.json()["is_default"] is True
    lists = api.get("/catalog/price-lists", headers=finance).json()
    assert [(pl["name"], pl["is_default"]) for pl in lists] == [("VIP", True), ("Standard", False)]
    assert price(None) == "8.50"
    assert api.delete(f"/catalog/price-lists/{vip['id']}/items/{item['id']}", headers=finance).status_code == 204
    assert api.delete(f"/catalog/price-lists/{vip['id']}/items/{item['id']}", headers=finance).status_code == 404
    assert price(vip["id"]) == "10.00"
    assert (
        api.get(f"/catalog/items/{item['id']}/price", params={"price_list_id": 999}, headers=finance).status_code == 404
    )
    with psycopg.connect(database_url) as conn:
        assert catalog_service.price_for(conn, item_id=item["id"], price_list_id=standard["id"]) == Decimal("9.00")
        assert catalog_service.get_item(conn, item_id=item["id"]).sku == "F"
        with pytest.raises(NotFound):
            catalog_service.price_for(conn, item_id=999, price_list_id=None)


def test_an_account_may_name_only_an_existing_price_list(api: TestClient, database_url: str, finance):
    refused = api.post("/accounts", json={"number": "P-1", "name": "x", "price_list_id": 999}, headers=finance)
    assert refused.status_code == 422 and "price list 999" in refused.json()["error"]["message"]
    pl = api.post("/catalog/price-lists", json={"name": "Std"}, headers=finance).json()
    ok = api.post("/accounts", json={"number": "P-2", "name": "x", "price_list_id": pl["id"]}, headers=finance)
    assert ok.status_code == 201 and ok.json()["price_list_id"] == pl["id"]
