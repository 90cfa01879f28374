"""The dashboard's pure pieces: choosing a telemetry resolution, SLA lights, fleet filters, month spans, the API's
error bodies and query values, and the asset page's live reads."""

from __future__ import annotations

from concurrent.futures import Future
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pandas as pd
import pytest

from dashboard.api_client import ApiError, ApiUnavailableError, NotAuthenticatedError, error_from, query
from dashboard.views.analytics import month_spans
from dashboard.views.asset import resolution_for
from dashboard.views.asset_charts import condition_spans, telemetry_chart
from dashboard.views.asset_reads import LiveRead
from dashboard.views.finance import aging_frame, dso_frame
from dashboard.views.fleet import FleetFilter, filter_fleet, fleet_frame, site_points
from dashboard.views.work_orders import sla_light

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("span", "resolution"),
    [
        (timedelta(hours=1), "raw"),
        (timedelta(hours=2), "raw"),
        (timedelta(hours=6), "1m"),
        (timedelta(days=7), "1m"),
        (timedelta(days=30), "1h"),
        (timedelta(days=365), "1h"),
    ],
)
def test_the_resolution_keeps_a_range_to_a_few_thousand_points(span: timedelta, resolution: str) -> None:
    assert resolution_for(span) == resolution
    bucket = {"raw": timedelta(seconds=1), "1m": timedelta(minutes=1), "1h": timedelta(hours=1)}[resolution]
    assert span / bucket <= 10_080  # a 1 Hz sensor at most: a year draws 8,760 hourly points


def _condition(cid: int, status: str, onset: str, cleared: str | None = None) -> dict[str, Any]:
    return {"id": cid, "failure_mode": "bearing_wear", "category": "equipment", "severity": "major",
            "status": status, "onset_at": onset, "cleared_at": cleared, "resolved_at": None}  # fmt: skip


def test_condition_spans_run_from_onset_to_clearing_clipped_to_the_range() -> None:
    start, end = NOW - timedelta(hours=6), NOW
    conditions = [
        _condition(1, "cleared", "2026-03-10T04:00:00Z", "2026-03-10T05:00:00Z"),  # over before the range
        _condition(2, "resolved", "2026-03-10T05:00:00Z", "2026-03-10T07:00:00Z"),  # ends inside it
        _condition(3, "raised", "2026-03-10T09:00:00Z"),  # open: to the range's end
        _condition(4, "acknowledged", "2026-03-10T13:00:00Z"),  # after the range
    ]
    spans = condition_spans(conditions, start, end)
    assert spans["id"].tolist() == [2, 3]
    assert spans["start"].tolist() == [pd.Timestamp(start), pd.Timestamp("2026-03-10T09:00:00Z")]
    assert spans["end"].tolist() == [pd.Timestamp("2026-03-10T07:00:00Z"), pd.Timestamp(end)]
    assert condition_spans([], start, end).empty


def test_the_telemetry_chart_draws_every_metric_and_the_conditions_on_one_time_axis() -> None:
    points = [
        {"metric": "temp", "ts": "2026-03-10T10:00:00Z", "n": 60, "mean": 1.5, "min": 1, "max": 2},
        {"metric": "flow", "ts": "2026-03-10T10:00:00Z", "n": 60, "mean": 7.0, "min": 6, "max": 8},
    ]
    spans = condition_spans([_condition(3, "raised", "2026-03-10T09:00:00Z")], NOW - timedelta(hours=6), NOW)
    chart = telemetry_chart(points, spans, start=NOW - timedelta(hours=6), end=NOW).to_dict()
    marks = [layer["mark"]["type"] for layer in chart["layer"]]
    assert marks == ["rect", "line"]
    assert chart["layer"][1]["encoding"]["x"]["scale"]["domain"] == [
        (NOW - timedelta(hours=6)).isoformat(),
        NOW.isoformat(),
    ]
    one = telemetry_chart(points, spans, start=NOW - timedelta(hours=6), end=NOW, metric="temp").to_dict()
    assert [layer["mark"]["type"] for layer in one["layer"]] == ["rect", "area", "line"]


def _target(name: str, *, due: datetime, warning: datetime, state: str = "running", **extra: object) -> dict[str, Any]:
    remaining = (due - NOW).total_seconds() / 60
    return {"target": name, "due_at": due.isoformat(), "warning_at": warning.isoformat(), "state": state,
            "remaining_minutes": remaining, "breached": False, "completed_at": None, **extra}  # fmt: skip


def _clock(response: dict[str, Any], resolution: dict[str, Any]) -> dict[str, Any]:
    return {"response": response, "resolution": resolution}


OPEN_ORDER = {"status": "scheduled", "response_due_at": None, "resolution_due_at": None}


def test_sla_light_is_green_before_the_warning_amber_after_it_and_red_past_the_breach() -> None:
    later = NOW + timedelta(hours=4)
    green = _target("resolution", due=later, warning=NOW + timedelta(hours=3))
    amber = _target("resolution", due=later, warning=NOW - timedelta(minutes=1))
    met = _target("response", due=later, warning=later, state="met", completed_at=NOW.isoformat())
    red = _target("response", due=NOW - timedelta(minutes=90), warning=NOW - timedelta(hours=2), breached=True)
    assert sla_light(OPEN_ORDER, _clock(met, green), NOW).colour == "green"
    light = sla_light(OPEN_ORDER, _clock(met, amber), NOW)
    assert (light.colour, light.text) == ("amber", "resolution 4h 00m left")
    light = sla_light(OPEN_ORDER, _clock(red, amber), NOW)
    assert light.colour == "red"
    assert light.text == "response breached 1h 30m ago; resolution 4h 00m left"


def test_sla_light_without_a_clock_uses_the_due_times_and_closed_orders_are_grey() -> None:
    order = {**OPEN_ORDER, "response_due_at": (NOW - timedelta(minutes=5)).isoformat(),
             "resolution_due_at": (NOW + timedelta(hours=2)).isoformat()}  # fmt: skip
    assert sla_light(order, None, NOW).colour == "red"
    assert sla_light({**order, "responded_at": NOW.isoformat()}, None, NOW).colour == "green"
    assert sla_light({**order, "status": "completed"}, None, NOW).colour == "grey"
    assert sla_light(OPEN_ORDER, None, NOW).text == "no SLA clock running"


def _fleet() -> pd.DataFrame:
    """Two items as GET /assets/fleet-health gives them."""
    health = {"open_conditions": 0, "worst_severity": None, "health_score": None, "rul_hours": None,
              "scored_at": None, "status": "active"}  # fmt: skip
    items = [
        {**health, "id": 1, "name": "Intake pump", "account_id": 10, "account": "Northwind", "location_id": 100,
         "site": "North plant", "latitude": 52.0, "longitude": 4.0, "asset_type_id": 5, "asset_type": "Pump",
         "criticality": "critical", "ownership": "leased", "devices": 1, "worst_device_status": "online",
         "last_seen_at": "2026-03-10T11:59:00Z", "latest_values": {"temp": 40.5, "flow": 3.0},
         "open_work_orders": 2, "open_conditions": 1, "worst_severity": "major", "health_score": 62,
         "rul_hours": 410.5},
        {**health, "id": 2, "name": "Chiller", "account_id": 11, "account": "Southport", "location_id": None,
         "site": None, "latitude": None, "longitude": None, "asset_type_id": None, "asset_type": None,
         "criticality": "low", "ownership": "customer", "devices": 0, "worst_device_status": None,
         "last_seen_at": "2026-03-10T11:58:01.123456Z", "latest_values": {}, "open_work_orders": 0},
    ]  # fmt: skip
    return fleet_frame(items)


def test_fleet_frame_shows_the_read_model_column_by_column() -> None:
    frame = _fleet().set_index("id")
    assert frame.loc[1, "account"] == "Northwind"
    assert frame.loc[1, "site"] == "North plant"
    assert frame.loc[1, "type"] == "Pump"
    assert frame.loc[1, "latest values"] == "flow=3, temp=40.5"
    assert (frame.loc[1, "devices"], frame.loc[1, "open work orders"]) == (1, 2)
    assert (frame.loc[1, "open conditions"], frame.loc[1, "worst severity"]) == (1, "major")
    assert (frame.loc[1, "health"], frame.loc[1, "RUL (h)"]) == (62, 410.5)
    assert (frame.loc[2, "site"], frame.loc[2, "type"], frame.loc[2, "latest values"]) == ("", "", "")
    assert pd.isna(frame.loc[2, "health"])  # not scored: blank, never a made-up number
    assert frame["last seen"].tolist() == [  # ISO 8601 with and without fractions of a second
        pd.Timestamp("2026-03-10T11:59:00Z"),
        pd.Timestamp("2026-03-10T11:58:01.123456Z"),
    ]
    assert site_points(_fleet()).to_dict("records") == [
        {"site": "North plant", "lat": 52.0, "lon": 4.0, "worst_health": 62, "colour": "#ff9f1c"}
    ]
    assert fleet_frame([]).empty


def test_a_site_on_the_map_takes_the_colour_of_its_worst_scored_asset() -> None:
    one = _fleet().iloc[0]
    rows = [
        {**one, "id": 3, "site": "Depot", "health": 91.0},
        {**one, "id": 4, "site": "Depot", "health": 33.0},
        {**one, "id": 5, "site": "Depot", "health": float("nan")},  # unscored assets do not hide a bad one
        {**one, "id": 6, "site": "Yard", "lat": 51.0, "health": float("nan")},
        {**one, "id": 7, "site": "Quay", "lat": 50.0, "health": 70.0},
    ]
    points = site_points(pd.DataFrame(rows)).set_index("site")
    assert points.loc["Depot", "worst_health"] == 33.0 and points.loc["Depot", "colour"] == "#d62728"
    assert pd.isna(points.loc["Yard", "worst_health"]) and points.loc["Yard", "colour"] == "#9e9e9e"
    assert points.loc["Quay", "colour"] == "#2ca02c"


def test_fleet_filters_combine_and_search_ignores_case() -> None:
    frame = _fleet()
    assert filter_fleet(frame, FleetFilter(ownership=["leased"]))["id"].tolist() == [1]
    assert filter_fleet(frame, FleetFilter(search="SOUTH"))["id"].tolist() == [2]
    assert filter_fleet(frame, FleetFilter(criticalities=["low"], accounts=["Northwind"])).empty
    assert len(filter_fleet(frame, FleetFilter())) == 2


def test_month_spans_end_with_the_current_month_up_to_tomorrow() -> None:
    assert month_spans(date(2026, 3, 15), 3) == [
        (date(2026, 1, 1), date(2026, 2, 1)),
        (date(2026, 2, 1), date(2026, 3, 1)),
        (date(2026, 3, 1), date(2026, 3, 16)),
    ]


def test_aging_and_dso_frames_keep_the_apis_numbers_in_order() -> None:
    totals = {"current": "1.00", "days_1_30": "2.00", "days_31_60": "0", "days_61_90": "4.50", "days_90_plus": "5"}
    frame = aging_frame({"totals": totals})
    assert frame["amount"].tolist() == [1.0, 2.0, 0.0, 4.5, 5.0]
    assert list(frame.index) == ["current", "1-30", "31-60", "61-90", "90+"]
    dso = dso_frame({"points": [{"as_of": "2026-01-31", "dso": "41.5"}, {"as_of": "2026-02-28", "dso": None}]})
    assert dso["DSO"].tolist()[0] == 41.5
    assert pd.isna(dso["DSO"].tolist()[1])


def _response(status: int, body: object) -> httpx.Response:
    return httpx.Response(status, json=body, request=httpx.Request("GET", "http://api/x"))


def test_errors_carry_the_apis_own_message_and_kind() -> None:
    body = {"error": {"code": "not_authenticated", "message": "the token has expired"}}
    expired = error_from(_response(401, body))
    assert isinstance(expired, NotAuthenticatedError)
    assert expired.message == "the token has expired"
    refused = error_from(_response(422, {"error": {"code": "validation_error", "message": "start: bad"}}))
    assert type(refused) is ApiError
    assert (refused.status, refused.code, refused.message) == (422, "validation_error", "start: bad")
    assert isinstance(error_from(_response(503, {"error": {"message": "db down"}})), ApiUnavailableError)
    plain = error_from(httpx.Response(404, text="nope", request=httpx.Request("GET", "http://api/x")))
    assert (plain.code, plain.message) == ("http_error", "Not Found")


def test_query_values_are_what_the_api_reads() -> None:
    at = datetime(2026, 1, 2, 3, 4, tzinfo=UTC)
    assert query({"start": at, "day": date(2026, 1, 2), "open": True, "q": None, "id": [1, 2]}) == {
        "start": "2026-01-02T03:04:00+00:00",
        "day": "2026-01-02",
        "open": "true",
        "id": [1, 2],
    }
    with pytest.raises(ValueError, match="timezone"):
        query({"start": datetime(2026, 1, 2)})


def _done(value: Any) -> Future[Any]:
    future: Future[Any] = Future()
    future.set_result(value)
    return future


def test_a_live_read_gives_the_pages_read_once_then_reads_again_at_each_refresh() -> None:
    started: list[int] = []

    def start() -> Future[Any]:
        started.append(len(started))
        return _done(f"read {len(started)}")

    live = LiveRead(start)
    assert started == [0]  # started with the page's other reads
    assert live.fresh() == "read 1"  # the page's first drawing: that read
    assert live.first_or_none() == "read 1"  # the parts that are not refreshed keep it
    assert live.fresh() == "read 2"  # each refresh of its fragment: a new read
    assert live.fresh() == "read 3"
    assert live.first_or_none() == "read 1"


def test_a_failed_first_read_is_none_for_the_other_parts_and_raised_to_the_one_showing_it() -> None:
    failed: Future[Any] = Future()
    failed.set_exception(ApiError(500, "internal", "the API failed"))
    live = LiveRead(lambda: failed)
    assert live.first_or_none() is None
    with pytest.raises(ApiError):
        live.fresh()
