"""Work orders: a board by status with SLA timers (green, amber past the warning, red past the breach), and one
order in detail with its SLA clock, tasks, lines, time and bookings."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import pandas as pd
import streamlit as st

from dashboard import session
from dashboard.api_client import ApiClient, ApiError, Json

BOARD = ("unscheduled", "scheduled", "in_progress", "completed")
BOARD_LIMIT = 100  # cards per column; the count above each column is the API's total
RANK = {"grey": 0, "green": 1, "amber": 2, "red": 3}
MARKDOWN_COLOUR = {"grey": "gray", "green": "green", "amber": "orange", "red": "red"}
CLOSED_STATES = ("met", "stopped")
CLOSED_ORDERS = ("completed", "posted", "canceled")


@dataclass(frozen=True, slots=True)
class SlaLight:
    colour: str  # grey (no clock running), green, amber (past warning), red (past breach)
    text: str


def _parse(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _span(minutes: float) -> str:
    minutes = abs(minutes)
    hours, rest = divmod(round(minutes), 60)
    return f"{hours}h {rest:02d}m"


def _target_light(target: Json, now: datetime) -> SlaLight | None:
    """The light of one SLA target from the policies clock; None when it no longer counts."""
    if target.get("completed_at") or target.get("state") in CLOSED_STATES:
        return None
    due, warning = _parse(target["due_at"]), _parse(target["warning_at"])
    name = str(target["target"])
    if target.get("breached") or target.get("state") == "breached" or (due is not None and now >= due):
        overdue = (now - due).total_seconds() / 60 if due else 0.0
        return SlaLight("red", f"{name} breached {_span(overdue)} ago")
    left = f"{name} {_span(float(target['remaining_minutes']))} left"
    if target.get("state") == "paused":
        left += " (paused)"
    return SlaLight("amber" if warning is not None and now >= warning else "green", left)


def _due_light(name: str, due: datetime, now: datetime) -> SlaLight:
    minutes = (due - now).total_seconds() / 60
    if minutes <= 0:
        return SlaLight("red", f"{name} overdue {_span(minutes)}")
    return SlaLight("green", f"{name} due in {_span(minutes)}")


def sla_light(order: Json, clock: Json | None, now: datetime) -> SlaLight:
    """The worst light of the order's open SLA targets: from the SLA clock when the API gave one, else from the
    due times on the work order (those carry no warning time, so they are green or red)."""
    if order["status"] in CLOSED_ORDERS:
        return SlaLight("grey", f"{order['status'].replace('_', ' ')}: no SLA clock running")
    lights: list[SlaLight] = []
    if clock is not None:
        lights = [light for key in ("response", "resolution") if (light := _target_light(clock[key], now))]
    else:
        response_due, resolution_due = _parse(order.get("response_due_at")), _parse(order.get("resolution_due_at"))
        if response_due is not None and not order.get("responded_at"):
            lights.append(_due_light("response", response_due, now))
        if resolution_due is not None and not order.get("completed_at"):
            lights.append(_due_light("resolution", resolution_due, now))
    if not lights:
        return SlaLight("grey", "no SLA clock running")
    worst = max(RANK[light.colour] for light in lights)
    return SlaLight(next(x.colour for x in lights if RANK[x.colour] == worst), "; ".join(x.text for x in lights))


def sla_clocks(api: ApiClient, orders: Sequence[Json]) -> dict[int, Json]:
    """The SLA clock of each order that has one (a 404: no target applies, so no clock)."""
    clocks: dict[int, Json] = {}
    for order in orders:
        if order["status"] in CLOSED_ORDERS:
            continue
        try:
            clocks[int(order["id"])] = api.sla_clock(int(order["id"]))
        except ApiError as exc:
            if exc.status != 404:
                raise
    return clocks


@dataclass(frozen=True)
class Board:
    columns: dict[str, list[Json]]  # the newest BOARD_LIMIT orders of each status
    totals: dict[str, str]  # the API's count per status ("at least" when its count is capped)
    clocks: dict[int, Json]


def load_board(api: ApiClient) -> Board:
    pages = {status: api.get("/work-orders", {"status": status, "limit": BOARD_LIMIT}) for status in BOARD}
    columns = {status: list(page["items"]) for status, page in pages.items()}
    totals = {s: f"{p['total']}{'' if p.get('total_is_exact', True) else '+'}" for s, p in pages.items()}
    clocks = sla_clocks(api, [wo for orders in columns.values() for wo in orders])
    return Board(columns, totals, clocks)


def status_changes(seen: dict[int, str] | None, board: Board) -> list[tuple[Json, str]]:
    """(order, its previous status) for each order on the board whose status changed since the previous refresh."""
    if seen is None:
        return []
    return [(wo, seen[int(wo["id"])]) for orders in board.columns.values() for wo in orders
            if int(wo["id"]) in seen and seen[int(wo["id"])] != wo["status"]]  # fmt: skip


def announce_changes(board: Board) -> None:
    """A toast for each order that moved on the board since the previous refresh (at most five)."""
    changed = status_changes(st.session_state.get("board-statuses"), board)
    st.session_state["board-statuses"] = {int(wo["id"]): wo["status"] for c in board.columns.values() for wo in c}
    for order, before in changed[:5]:
        st.toast(f"{order['number']}: {before.replace('_', ' ')} -> {order['status'].replace('_', ' ')}")


def _card(order: Json, light: SlaLight) -> None:
    with st.container(border=True):
        st.markdown(f"**{order['number']}** - {order['summary']}")
        st.caption(f"{order['priority']} - {order['work_type']} - asset {order.get('asset_id') or '-'}")
        st.markdown(f":{MARKDOWN_COLOUR[light.colour]}[{light.text}]")


def board_section(api: ApiClient) -> None:
    board = session.attempt(lambda: load_board(api))
    if board is None:
        return
    now = datetime.now(UTC)
    st.caption(session.updated_stamp())
    announce_changes(board)
    for status, column in zip(BOARD, st.columns(len(BOARD)), strict=True):
        orders = board.columns[status]
        column.subheader(f"{status.replace('_', ' ')} ({board.totals[status]})")
        if len(orders) < int(board.totals[status].rstrip("+")):
            column.caption(f"the newest {len(orders)} shown")
        with column:
            for order in orders:
                _card(order, sla_light(order, board.clocks.get(int(order["id"])), now))
    st.session_state["board-orders"] = [wo for orders in board.columns.values() for wo in orders]


def _table(api: ApiClient, work_order_id: int, part: str, columns: list[str]) -> None:
    if not session.offered(f"/work-orders/{{work_order_id}}/{part}"):
        st.caption(f"{part}: not available yet - this API does not offer it.")
        return
    found = session.attempt(lambda: api.work_order_part(work_order_id, part))
    if found is None:
        return
    rows = found["items"] if isinstance(found, dict) else found
    st.markdown(f"**{part.replace('-', ' ').capitalize()}** ({len(rows)})")
    if rows:
        st.dataframe(pd.DataFrame(rows, columns=columns), hide_index=True)


def _review(api: ApiClient, work_order_id: int) -> None:
    """What the API says is done and what is missing before the order can be posted."""
    if not session.offered("/work-orders/{work_order_id}/review"):
        return
    review = session.attempt(lambda: api.work_order_part(work_order_id, "review"))
    if review is None:
        return
    checklist = review["checklist"]
    st.markdown(
        f"Checklist: {checklist['passed']} passed, {checklist['failed']} failed, {checklist['pending']} pending "
        f"of {checklist['total']}; ready to post: **{'yes' if review['ready_to_post'] else 'no'}**"
    )
    if review["missing"]:
        st.caption("Missing: " + "; ".join(str(m) for m in review["missing"]))


def detail_section(api: ApiClient) -> None:
    orders: list[Json] = st.session_state.get("board-orders", [])
    if not orders:
        return
    st.header("Detail")
    by_id = {int(wo["id"]): wo for wo in orders}
    chosen = st.selectbox(
        "Work order", list(by_id), format_func=lambda i: f"{by_id[i]['number']} - {by_id[i]['summary']}"
    )
    order = session.attempt(lambda: api.work_order(chosen))
    if order is None:
        return
    cols = st.columns(4)
    cols[0].metric("Status", order["status"])
    cols[1].metric("Priority", order["priority"])
    cols[2].metric("Estimated minutes", order["estimated_minutes"])
    accounts = session.remember("account-names", 60, api.accounts) or []
    names = {int(a["id"]): str(a["name"]) for a in accounts}
    cols[3].metric("Account", names.get(int(order["account_id"]), str(order["account_id"])))
    clock = session.attempt(lambda: sla_clocks(api, [order]).get(chosen))
    light = sla_light(order, clock, datetime.now(UTC))
    st.markdown(f"SLA: :{MARKDOWN_COLOUR[light.colour]}[{light.text}]")
    if order.get("description"):
        st.write(order["description"])
    _review(api, chosen)
    _table(api, chosen, "tasks", ["position", "description", "result", "notes", "done_at"])
    _table(api, chosen, "lines", ["kind", "description", "line_status", "quantity", "quantity_to_bill", "unit_price"])
    _table(api, chosen, "time-entries", ["resource_id", "kind", "started_at", "ended_at", "notes"])
    _table(api, chosen, "bookings", ["resource_id", "start_at", "end_at", "status", "assigned_by"])


def render() -> None:
    st.title("Work orders")
    if not session.require_route("/work-orders", "Work orders"):
        return

    @st.fragment(run_every=session.settings().refresh_seconds)
    def live_board() -> None:
        board_section(session.client())

    live_board()
    detail_section(session.client())
