"""GET /telemetry/window?max_points=: neighbouring buckets merged exactly (counts add, weighted means, extremes)."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta

import pytest

from ingest.pipeline import InboundMessage
from service_core.auth.domain import Role
from tests.factories import register_devices, store, telemetry_payload
from tests.support.api import api_client, headers_for

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("resolution", ["raw", "1m"])
def test_a_capped_window_merges_buckets_exactly(database_url: str, tenant: str, resolution: str) -> None:
    (device,) = register_devices(database_url, tenant, ["m-1"])
    start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=3)
    readings = [(start + timedelta(seconds=20 * i), float((i * 7) % 11)) for i in range(360)]  # 2 h, 3 a minute
    topic = f"assetpulse/{tenant}/m-1/telemetry"
    store(database_url, [InboundMessage(topic, telemetry_payload(ts, temp=v)) for ts, v in readings])
    # 2 h in at most 100 points: 2-minute buckets (the smallest nice width, a whole number of 1-minute buckets)
    expected: dict[datetime, list[float]] = defaultdict(list)
    for ts, value in readings:
        expected[ts.replace(minute=ts.minute - ts.minute % 2, second=0)].append(value)
    params = {"device_id": device.id, "start": start.isoformat(), "end": (start + timedelta(hours=2)).isoformat(),
              "resolution": resolution}  # fmt: skip
    with api_client(database_url) as api:
        headers = headers_for(database_url, Role.VIEWER)
        whole = api.get("/telemetry/window", params=params, headers=headers).json()
        merged = api.get("/telemetry/window", params={**params, "max_points": 100}, headers=headers).json()
        refused = api.get("/telemetry/window", params={**params, "max_points": 99}, headers=headers)
    assert refused.status_code == 422
    assert len(whole) == {"raw": 360, "1m": 120}[resolution]  # uncapped: as before
    assert [datetime.fromisoformat(p["ts"]) for p in merged] == sorted(expected)
    for point in merged:
        values = expected[datetime.fromisoformat(point["ts"])]
        assert (point["metric"], point["n"], point["min"], point["max"]) == ("temp", 6, min(values), max(values))
        assert point["mean"] == pytest.approx(sum(values) / 6)
