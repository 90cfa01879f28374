"""Which lines of a work order an agreement or warranty covers (billed at zero), through the agreements contract."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import psycopg

from service_core.agreements import service as agreements_service
from service_core.agreements.domain import AgreementTerms, Coverage, line_coverage
from service_core.assets import service as assets_service

LineCoverage = Callable[[str], Coverage]


def terms_for(conn: psycopg.Connection, *, work_order: dict[str, Any], on: date) -> AgreementTerms | None:
    """The agreement terms that apply to a work order on day `on` (its own agreement, else one covering the asset)."""
    return agreements_service.terms_for_work_order(
        conn,
        agreement_id=work_order["agreement_id"],
        account_id=work_order["account_id"],
        asset_id=work_order["asset_id"],
        on=on,
    )


def for_work_order(
    conn: psycopg.Connection, *, work_order: dict[str, Any], terms: AgreementTerms | None, on: date
) -> LineCoverage:
    """A function from a line kind to its coverage (covered at zero with the reason, else the discount)."""
    warranty_end = None
    if work_order["asset_id"] is not None:
        warranty_end = assets_service.get_asset(conn, asset_id=work_order["asset_id"]).warranty_end

    def cover(line_kind: str) -> Coverage:
        return line_coverage(
            line_kind=line_kind, work_type=work_order["work_type"], terms=terms, warranty_end=warranty_end, on=on
        )

    return cover
