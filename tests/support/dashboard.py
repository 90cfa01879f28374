"""The dashboard's tests: the real API as a uvicorn process over the test's database, a small seeded fleet, and
the AppTest steps every page test takes (log in through the form, switch page, find an element by label)."""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import psycopg
import pyarrow as pa
from streamlit.testing.v1 import AppTest

from ingest.pipeline import InboundMessage
from service_core.api.serve import api_command, api_env, server_process
from service_core.auth.domain import Role
from tests.factories import register_devices, store, telemetry_payload
from tests.support.api import PASSWORD, SECRET, make_user

DASHBOARD_APP = Path(__file__).resolve().parents[2] / "dashboard" / "app.py"


@contextlib.contextmanager
def api_process(url: str, log_path: Path) -> Iterator[str]:
    """`uvicorn service_core.api.main:app_from_env` on a free port over `url`; yields its base URL."""
    env = api_env(url, secret=SECRET, pool_min=1, pool_max=4, ASSETPULSE_PRINCIPAL_CACHE_SECONDS="0")
    with server_process(api_command(), env=env, log_path=log_path, timeout=60) as base_url:
        yield base_url


def user(url: str, role: Role) -> tuple[str, str]:
    """A fresh user with `role`: (email, password) to type into the login form."""
    email = f"{role.value}-{uuid.uuid4().hex[:8]}@example.com"
    make_user(url, role, email=email)
    return email, PASSWORD


def headers_of(api_url: str, email: str, password: str) -> dict[str, str]:
    """The bearer header of a login at the API."""
    answer = httpx.post(f"{api_url}/auth/token", data={"username": email, "password": password}, timeout=30)
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


@dataclass(frozen=True)
class ApiEnv:
    """The API process of a test module, its database and an admin's header to ask it what a page should show."""

    api_url: str
    db_url: str
    headers: dict[str, str]

    def get(self, path: str, **params: Any) -> Any:
        answer = httpx.get(f"{self.api_url}{path}", headers=self.headers, params=params, timeout=30)
        assert answer.status_code == 200, answer.text
        return answer.json()

    def post(self, path: str, body: dict[str, Any]) -> Any:
        answer = httpx.post(f"{self.api_url}{path}", headers=self.headers, json=body, timeout=60)
        assert answer.status_code in (200, 201), answer.text
        return answer.json()


def app() -> AppTest:
    return AppTest.from_file(str(DASHBOARD_APP), default_timeout=90).run()


def log_in(at: AppTest, email: str, password: str) -> AppTest:
    at.text_input[0].input(email)
    at.text_input[1].input(password)
    return at.button[0].click().run()


def logged_in(env: ApiEnv, role: Role = Role.ADMIN) -> AppTest:
    at = log_in(app(), *user(env.db_url, role))
    assert not at.exception, at.exception
    return at


def page(at: AppTest, name: str) -> AppTest:
    """Switch to a page and run it: no exception and no error box."""
    at.switch_page(f"screens/{name}.py").run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    return at


def by_label(elements: Iterable[Any], label: str) -> Any:
    found = [e for e in elements if e.label == label]
    assert len(found) == 1, f"{label!r} not among {[e.label for e in elements]}"
    return found[0]


def texts(elements: Iterable[Any]) -> list[str]:
    return [str(e.value) for e in elements]


@dataclass(frozen=True)
class Seed:
    tenant: str
    account_ids: list[int]
    asset_ids: list[int]
    device_ids: list[int]
    telemetry_start: datetime
    work_order_ids: list[int]
    resource_id: int
    invoice_ids: list[int]


def _one(conn: psycopg.Connection, sql: str, params: tuple[object, ...]) -> int:
    row = conn.execute(sql, params).fetchone()
    assert row is not None
    return int(row[0])


def _account(conn: psycopg.Connection, name: str, lat: float, lon: float) -> tuple[int, int]:
    account_id = _one(
        conn,
        "INSERT INTO crm.accounts (number, name, payment_terms_days) VALUES (%s, %s, 30) RETURNING id",
        (f"ACC-{uuid.uuid4().hex[:8]}", name),
    )
    location_id = _one(
        conn,
        "INSERT INTO crm.locations (account_id, name, latitude, longitude) VALUES (%s, %s, %s, %s) RETURNING id",
        (account_id, f"{name} plant", lat, lon),
    )
    return account_id, location_id


def _asset(conn: psycopg.Connection, account_id: int, location_id: int, name: str, crit: str, own: str) -> int:
    return _one(
        conn,
        "INSERT INTO assets.assets (account_id, location_id, name, criticality, ownership) "
        "VALUES (%s, %s, %s, %s, %s) RETURNING id",
        (account_id, location_id, name, crit, own),
    )


def _work_order(
    conn: psycopg.Connection, account_id: int, asset_id: int, status: str, priority: str, due_in: timedelta
) -> int:
    now = datetime.now(UTC)
    return _one(
        conn,
        """
        INSERT INTO work.work_orders (account_id, billing_account_id, asset_id, work_type, priority, status, summary,
            response_due_at, resolution_due_at, created_at)
        VALUES (%s, %s, %s, 'repair', %s, %s, %s, %s, %s, %s) RETURNING id
        """,
        (account_id, account_id, asset_id, priority, status, f"Fix {status} {priority}", now + due_in / 2,
         now + due_in, now - timedelta(hours=2)),
    )  # fmt: skip


def seed_fleet(url: str) -> Seed:
    """Default SLA targets; two accounts with a site each, three assets, two devices with two hours of telemetry,
    four work orders opened two hours ago (SLA: emergency breached, normal past its warning, high on time), a
    technician with a booking today, two issued invoices (one 75 days old, so overdue) and two payments (100.00
    applied to the newer invoice, 50.00 unapplied), and a health score for the chiller (as detection would write
    it)."""
    tenant = f"t{uuid.uuid4().hex[:8]}"
    devices = register_devices(url, tenant, ["pump-a", "pump-b"], "pump")
    with psycopg.connect(url) as conn:
        conn.execute(
            "INSERT INTO policy.sla_targets (priority, response_minutes, resolution_minutes, warning_fraction) VALUES"
            " ('emergency', 30, 60, 0.75), ('high', 600, 1200, 0.75), ('normal', 150, 600, 0.75),"
            " ('low', 600, 1200, 0.75)"
        )
        north, north_site = _account(conn, "Northwind Water", 52.37, 4.90)
        south, south_site = _account(conn, "Southport Foods", 51.92, 4.48)
        assets = [
            _asset(conn, north, north_site, "Intake pump", "critical", "leased"),
            _asset(conn, north, north_site, "Booster pump", "medium", "customer"),
            _asset(conn, south, south_site, "Chiller 7", "high", "customer"),
        ]
        conn.execute(
            "INSERT INTO detection.asset_health (asset_id, scored_at, health_score, anomaly_score, contributions,"
            " rul_hours, rul_low_hours, rul_high_hours)"
            ' VALUES (%s, now(), 62, 1.8, \'[{"signal": "temp", "share": 0.7}]\', 410.5, 302.0, 518.0)',
            (assets[2],),
        )
        conn.execute("UPDATE fleet.devices SET asset_id = %s WHERE id = %s", (assets[0], devices[0].id))
        conn.execute("UPDATE fleet.devices SET asset_id = %s WHERE id = %s", (assets[2], devices[1].id))
        orders = [
            _work_order(conn, north, assets[0], "unscheduled", "emergency", timedelta(hours=-1)),
            _work_order(conn, north, assets[0], "scheduled", "high", timedelta(hours=3)),
            _work_order(conn, south, assets[2], "in_progress", "normal", timedelta(hours=30)),
            _work_order(conn, south, assets[2], "completed", "low", timedelta(hours=30)),
        ]
        resource = _one(
            conn,
            "INSERT INTO resources.resources (name, home_latitude, home_longitude) VALUES ('Tess Tech', 52.0, 5.0)"
            " RETURNING id",
            (),
        )
        today = datetime.now(UTC).replace(hour=9, minute=0, second=0, microsecond=0)
        conn.execute(
            "INSERT INTO work.bookings (work_order_id, resource_id, start_at, end_at) VALUES (%s, %s, %s, %s)",
            (orders[1], resource, today, today + timedelta(hours=2)),
        )
        invoices = _invoices(conn, north, south)
        _payments(conn, north, south)
        _repair_history(conn, north, assets[1], resource)
    # two hours of one reading a minute, ending a minute ago: every "last hour" window holds readings
    start = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(hours=2)
    messages = [
        InboundMessage(f"assetpulse/{tenant}/pump-a/telemetry", telemetry_payload(start + timedelta(minutes=i),
                                                                                  temp=40.0 + i % 7, flow=float(i)))
        for i in range(120)
    ]  # fmt: skip
    messages.append(
        InboundMessage(f"assetpulse/{tenant}/pump-b/telemetry", telemetry_payload(start, temp=7.5, flow=3.0))
    )
    store(url, messages)
    _score_history(url, assets[0], start)
    return Seed(tenant, [north, south], assets, [d.id for d in devices], start, orders, resource, invoices)


def _repair_history(conn: psycopg.Connection, account_id: int, asset_id: int, resource: int) -> None:
    """Three normal repairs of the booster pump, 70, 40 and 10 days ago, done in 6, 12 and 4 hours (the SLA target
    of normal work resolves in 10 hours: the 12-hour one missed it), each with two hours of logged work by the
    technician, who works 8-16 on weekdays: service metrics and utilization with values in them."""
    conn.execute(
        "INSERT INTO resources.working_hours (resource_id, weekday, start_time, end_time)"
        " SELECT %s, d, '08:00', '16:00' FROM generate_series(0, 4) AS d",
        (resource,),
    )
    today = datetime.now(UTC).replace(hour=8, minute=0, second=0, microsecond=0)
    for days_ago, hours in ((70, 6), (40, 12), (10, 4)):
        created = today - timedelta(days=days_ago)
        order = _one(
            conn,
            """
            INSERT INTO work.work_orders (account_id, billing_account_id, asset_id, work_type, priority, status,
                summary, resolution_due_at, created_at, completed_at, resolution_code)
            VALUES (%s, %s, %s, 'repair', 'normal', 'completed', 'Repair booster pump', %s, %s, %s, 'fixed')
            RETURNING id
            """,
            (
                account_id,
                account_id,
                asset_id,
                created + timedelta(hours=10),
                created,
                created + timedelta(hours=hours),
            ),
        )
        conn.execute(
            "INSERT INTO work.time_entries (work_order_id, resource_id, kind, started_at, ended_at)"
            " VALUES (%s, %s, 'work', %s, %s)",
            (order, resource, created + timedelta(hours=1), created + timedelta(hours=3)),
        )


SCORED_BAD_MINUTES = range(60, 90)  # of the intake pump's two hours: where its (cleared) condition was


def _score_history(url: str, asset_id: int, start: datetime) -> None:
    """Two hours of minute scores for the intake pump, bad for half an hour, and the condition raised then (cleared
    since; no work opened), as the detector would have written them."""
    scores = [(start + timedelta(minutes=m), 35, 2.4) if m in SCORED_BAD_MINUTES else
              (start + timedelta(minutes=m), 90 - m % 3, 0.3 + (m % 5) / 20) for m in range(120)]  # fmt: skip
    onset, cleared = start + timedelta(minutes=SCORED_BAD_MINUTES.start), start + timedelta(minutes=90)
    with psycopg.connect(url) as conn:
        conn.cursor().executemany(
            "INSERT INTO detection.health_history (asset_id, resolution, bucket, health_score, anomaly_score)"
            " VALUES (%s, '1m', %s, %s, %s)",
            [(asset_id, *score) for score in scores],
        )
        conn.execute(
            "INSERT INTO detection.conditions (asset_id, failure_mode, category, severity, status, onset_at,"
            " raised_at, last_evidence_at, peak_score, evidence, cleared_at)"
            " VALUES (%s, 'cavitation', 'equipment', 'major', 'cleared', %s, %s, %s, 2.4, '{}', %s)",
            (asset_id, onset, onset + timedelta(minutes=2), cleared, cleared),
        )


def chart_layers(chart: Any) -> list[tuple[str, pd.DataFrame]]:
    """An Altair chart's layers as AppTest sees it: each layer's mark and the data Streamlit sent with it."""
    spec = json.loads(chart.proto.spec)
    data = {d.name: pa.ipc.open_stream(d.data.data).read_pandas() for d in chart.proto.datasets}
    return [(layer["mark"]["type"], data[layer["data"]["name"]]) for layer in spec["layer"]]


def chart_text(chart: Any) -> str:
    """A chart's spec and all the data Streamlit sent with it, as text (for what a chart draws, by name)."""
    frames = [pa.ipc.open_stream(d.data.data).read_pandas().to_string() for d in chart.proto.datasets]
    return "\n".join([chart.proto.spec, *frames])


def _invoices(conn: psycopg.Connection, north: int, south: int) -> list[int]:
    from service_core.billing import service as billing_service
    from service_core.billing.domain import LineDraft

    today = datetime.now(UTC).date()
    ids = []
    for account_id, amount, issued in ((north, "1200.00", today - timedelta(days=75)), (south, "300.00", today)):
        invoice = billing_service.create_issued_invoice(
            conn,
            account_id=account_id,
            series="INV",
            lines=[LineDraft(description="service", kind="service", quantity=Decimal(1), unit_price=Decimal(amount))],
            actor="user:test",
            issue_date=issued,
            taxable=False,
        )
        ids.append(invoice.id)
    return ids


def _payments(conn: psycopg.Connection, north: int, south: int) -> None:
    """Southport pays 100.00 of its invoice (applied at once), Northwind 50.00 not yet applied."""
    from service_core.payments import service as payments_service
    from service_core.payments.schemas import PaymentCreate

    today = datetime.now(UTC).date()
    for account_id, amount, reference, applied in ((south, "100.00", "SP-1", True), (north, "50.00", "NW-1", False)):
        row = conn.execute("SELECT currency FROM crm.accounts WHERE id = %s", (account_id,)).fetchone()
        assert row is not None
        payment_in = PaymentCreate(
            account_id=account_id,
            amount=Decimal(amount),
            currency=str(row[0]),
            received_on=today,
            reference=reference,
            auto_allocate=applied,
        )
        payments_service.record_payment(conn, payment_in=payment_in, idempotency_key=None, actor="user:test")


def report_conditions(api_url: str, headers: dict[str, str], asset_id: int) -> None:
    """Two open conditions on one asset, reported through the API as a detector would."""
    now = datetime.now(UTC)
    for mode, category, severity in (("bearing_wear", "equipment", "major"), ("stuck_sensor", "sensor", "warning")):
        report = {"asset_id": asset_id, "failure_mode": mode, "category": category, "severity": severity,
                  "onset_at": (now - timedelta(hours=1)).isoformat(), "at": now.isoformat(), "score": 3.5}  # fmt: skip
        answer = httpx.post(f"{api_url}/conditions", json=report, headers=headers, timeout=30)
        assert answer.status_code in (200, 201), answer.text
