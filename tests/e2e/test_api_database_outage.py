"""The API as its own process comes back by itself after its database goes away under a steady request load
(real PostgreSQL behind a proxy the test cuts, the soak's open-loop load generator as the client)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import orjson
import pytest

from service_core.auth.domain import Role
from tests.support.api import headers_for
from tests.support.api_process import api_process
from tests.support.tcp_proxy import postgres_behind_proxy

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

RATE = 30.0  # requests/s, started on schedule whether or not earlier ones finished (as the soak's load)
BEFORE_S, OUTAGE_S, AFTER_S = 6.0, 14.0, 25.0  # the outage outlasts the API's 10 s wait for a connection
RECOVERY_S = 12.0  # after the database is back: pooled connections re-made, queued requests answered or timed out


def test_api_answers_again_after_a_database_outage_under_load(database_url: str, tmp_path: Path) -> None:
    token = headers_for(database_url, Role.DISPATCHER)["Authorization"].removeprefix("Bearer ")
    proxy, proxied = postgres_behind_proxy(database_url)
    out = tmp_path / "requests.json"
    try:
        with api_process(proxied) as base_url:
            load = subprocess.Popen(
                [sys.executable, "-m", "simulators.soak.apiload", "--base-url", base_url, "--token", token,
                 "--rate", str(RATE), "--seconds", str(BEFORE_S + OUTAGE_S + AFTER_S), "--out", str(out)],
            )  # fmt: skip
            started = time.time()
            time.sleep(BEFORE_S)
            cut_at = time.time()
            proxy.cut()
            time.sleep(OUTAGE_S)
            proxy.restore()
            restored_at = time.time()
            assert load.wait(timeout=BEFORE_S + OUTAGE_S + AFTER_S + 60) == 0
    finally:
        proxy.close()
    records = orjson.loads(out.read_bytes())["records"]
    # before: the requests answered before the cut (one still in flight when the proxy cuts may fail, rightly)
    before = [status for t, _, status, ms in records if started + 1.0 <= t and t + ms / 1000 < cut_at]
    during = [status for t, _, status, _ in records if cut_at + 1.0 <= t < restored_at]
    waited_in_vain = [status for t, _, status, _ in records if cut_at + 1.0 <= t < restored_at - 11.0]
    after = [status for t, _, status, _ in records if t >= restored_at + RECOVERY_S]
    assert before and set(before) == {200}, f"before the outage: {sorted(set(before))}"
    # while it is gone: a clear 503 (or the client's own 10 s timeout while a request waits for a connection); a
    # request that waits less than the API's 10 s for a connection is answered once the database is back; no 500
    assert during and set(during) <= {0, 200, 503}, f"during the outage: {sorted(set(during))}"
    assert waited_in_vain and set(waited_in_vain) <= {0, 503}, f"early in the outage: {sorted(set(waited_in_vain))}"
    failed_after = [s for s in after if s != 200]
    assert len(after) >= RATE * (AFTER_S - RECOVERY_S) * 0.8, len(after)
    assert not failed_after, (
        f"{len(failed_after)} of {len(after)} requests failed {RECOVERY_S:g} s or more after the database came back "
        f"(statuses {sorted(set(failed_after))})"
    )
