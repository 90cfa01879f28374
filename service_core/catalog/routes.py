"""HTTP routes of the catalogue: items, price lists and the items' prices on them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response, status

from service_core.api.deps import ConnDep, CurrentUser, require_roles
from service_core.api.errors import ERROR_RESPONSES, ErrorBody, Responses
from service_core.api.pagination import Limit, Offset, Page
from service_core.api.transactions import TransactionalRoute
from service_core.auth.domain import Principal, Role
from service_core.catalog import service as catalog_service
from service_core.catalog.schemas import (
    ItemCreate,
    ItemKind,
    ItemPricePublic,
    ItemPriceQuote,
    ItemPriceSet,
    ItemPublic,
    ItemUpdate,
    PriceListCreate,
    PriceListPublic,
    PriceListUpdate,
)

router = APIRouter(route_class=TransactionalRoute, prefix="/catalog", tags=["catalog"], responses=ERROR_RESPONSES)

CatalogWriter = Annotated[Principal, Depends(require_roles(Role.ADMIN, Role.FINANCE))]
ItemId = Annotated[int, Path(ge=1, le=2**31 - 1)]
PriceListId = Annotated[int, Path(ge=1, le=2**31 - 1)]
NOT_FOUND: Responses = {404: {"model": ErrorBody, "description": "No such item or price list"}}
CONFLICT: Responses = {**NOT_FOUND, 409: {"model": ErrorBody, "description": "The SKU or name is taken"}}


@router.get("/items", summary="List catalogue items: search SKU or name, filter by kind")
def list_items(
    conn: ConnDep,
    _: CurrentUser,
    *,
    q: Annotated[str | None, Query(min_length=1, max_length=100)] = None,
    kind: ItemKind | None = None,
    is_active: bool | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[ItemPublic]:
    items, total = catalog_service.list_items(
        conn, search=q, kind=kind, is_active=is_active, limit=limit, offset=offset
    )
    return Page[ItemPublic](items=items, total=total, limit=limit, offset=offset)


@router.post("/items", status_code=status.HTTP_201_CREATED, responses=CONFLICT, summary="Create (admin, finance)")
def create_item(conn: ConnDep, _: CatalogWriter, item_in: ItemCreate) -> ItemPublic:
    return catalog_service.create_item(conn, item_in=item_in)


@router.get("/items/{item_id}", responses=NOT_FOUND)
def read_item(conn: ConnDep, _: CurrentUser, item_id: ItemId) -> ItemPublic:
    return catalog_service.get_item(conn, item_id=item_id)


@router.patch("/items/{item_id}", responses=CONFLICT)
def update_item(conn: ConnDep, _: CatalogWriter, item_id: ItemId, item_in: ItemUpdate) -> ItemPublic:
    return catalog_service.update_item(conn, item_id=item_id, item_in=item_in)


@router.get("/price-lists")
def list_price_lists(conn: ConnDep, _: CurrentUser) -> list[PriceListPublic]:
    return catalog_service.list_price_lists(conn)


@router.post("/price-lists", status_code=status.HTTP_201_CREATED, responses=CONFLICT)
def create_price_list(conn: ConnDep, _: CatalogWriter, price_list_in: PriceListCreate) -> PriceListPublic:
    return catalog_service.create_price_list(conn, price_list_in=price_list_in)


@router.get("/price-lists/{price_list_id}", responses=NOT_FOUND)
def read_price_list(conn: ConnDep, _: CurrentUser, price_list_id: PriceListId) -> PriceListPublic:
    return catalog_service.get_price_list(conn, price_list_id=price_list_id)


@router.patch("/price-lists/{price_list_id}", responses=CONFLICT)
def update_price_list(
    conn: ConnDep, _: CatalogWriter, price_list_id: PriceListId, price_list_in: PriceListUpdate
) -> PriceListPublic:
    return catalog_service.update_price_list(conn, price_list_id=price_list_id, price_list_in=price_list_in)


@router.get("/price-lists/{price_list_id}/items", responses=NOT_FOUND)
def list_item_prices(conn: ConnDep, _: CurrentUser, price_list_id: PriceListId) -> list[ItemPricePublic]:
    return catalog_service.list_item_prices(conn, price_list_id=price_list_id)


@router.put("/price-lists/{price_list_id}/items/{item_id}", responses=NOT_FOUND, summary="Set an item's price")
def set_item_price(
    conn: ConnDep, _: CatalogWriter, price_list_id: PriceListId, item_id: ItemId, price_in: ItemPriceSet
) -> ItemPricePublic:
    return catalog_service.set_item_price(
        conn, price_list_id=price_list_id, item_id=item_id, unit_price=price_in.unit_price
    )


@router.delete("/price-lists/{price_list_id}/items/{item_id}", status_code=204, responses=NOT_FOUND)
def remove_item_price(conn: ConnDep, _: CatalogWriter, price_list_id: PriceListId, item_id: ItemId) -> Response:
    catalog_service.remove_item_price(conn, price_list_id=price_list_id, item_id=item_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/items/{item_id}/price", responses=NOT_FOUND, summary="The price that applies on a price list")
def read_price(
    conn: ConnDep,
    _: CurrentUser,
    item_id: ItemId,
    price_list_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
) -> ItemPriceQuote:
    price = catalog_service.price_for(conn, item_id=item_id, price_list_id=price_list_id)
    return ItemPriceQuote(item_id=item_id, price_list_id=price_list_id, unit_price=price)
