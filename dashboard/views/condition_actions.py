"""Acting on one condition of the inbox: acknowledge, snooze for a while, link to one of its asset's open work
orders, or open a work order by the rules.  Only dispatchers and admins get live buttons; the API decides every
request, and its refusal is shown with its reason."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import streamlit as st

from dashboard import session
from dashboard.api_client import ApiClient, Json

SLOT = "condition-action"
OPEN_ORDERS = ("unscheduled", "scheduled", "in_progress")
SNOOZES = {"1 hour": timedelta(hours=1), "4 hours": timedelta(hours=4), "1 day": timedelta(days=1),
           "3 days": timedelta(days=3), "1 week": timedelta(weeks=1)}  # fmt: skip
WORK_DONE = {
    "open": "opened work order",
    "follow_up": "opened follow-up work order",
    "attach": "attached to open work order",
    "already_linked": "already linked to work order",
}


def condition_label(condition: Json, names: dict[int, str]) -> str:
    asset = names.get(int(condition["asset_id"]), f"asset {condition['asset_id']}")
    return f"#{condition['id']} {asset} - {condition['failure_mode']} ({condition['severity']}, {condition['status']})"


def open_work_of(api: ApiClient, asset_id: int) -> list[Json]:
    """The asset's open work orders (unscheduled, scheduled, in progress), newest first as the API lists them."""
    return [wo for wo in api.work_orders({"asset_id": asset_id}) if wo["status"] in OPEN_ORDERS]


def work_text(outcome: Json) -> str:
    """What opening work by the rules did, in words."""
    done = WORK_DONE.get(str(outcome["work"]))
    condition = outcome["condition"]["id"]
    if done is None or outcome.get("work_order_id") is None:
        return f"Condition #{condition}: no work order was opened ({outcome['work']})"
    return f"Condition #{condition}: {done} {outcome['work_order_id']}"


# -- the callbacks (run before the page is drawn again, so the inbox above shows their effect) -------------------


def _acknowledge(condition_id: int) -> None:
    session.act(SLOT, lambda: session.client().acknowledge_condition(condition_id),
                lambda c: f"Condition #{c['id']} acknowledged by {c['acknowledged_by']}")  # fmt: skip


def _snooze(condition_id: int, label: str) -> None:
    until = datetime.now(UTC) + SNOOZES[label]
    session.act(SLOT, lambda: session.client().snooze_condition(condition_id, until),
                lambda c: f"Condition #{c['id']} snoozed until {c['snoozed_until']}")  # fmt: skip


def _link(condition_id: int, work_order_id: int | None) -> None:
    if work_order_id is None:
        return
    session.act(SLOT, lambda: session.client().link_condition(condition_id, work_order_id),
                lambda c: f"Condition #{c['id']} linked to work order {c['work_order_id']}")  # fmt: skip


def _open_work(condition_id: int) -> None:
    session.act(SLOT, lambda: session.client().open_work_for_condition(condition_id), work_text)


# -- the section ------------------------------------------------------------------------------------------------


def actions_section(api: ApiClient, conditions: Sequence[Json], names: dict[int, str]) -> None:
    st.subheader("Act on a condition")
    session.show_outcome(SLOT)
    if not conditions:
        st.caption("No open condition to act on.")
        return
    may_act = session.may_act()
    if not may_act:
        st.caption(
            f"Your role ({session.role()}) reads the inbox; acknowledging, snoozing and opening or linking work "
            "orders are for dispatchers and admins."
        )
    by_id = {int(c["id"]): c for c in conditions}
    chosen = st.selectbox("Condition", list(by_id), format_func=lambda i: condition_label(by_id[i], names))
    condition = by_id[chosen]
    linked = condition.get("work_order_id")
    st.caption(f"Work order: {linked if linked is not None else 'none yet'}")
    cols = st.columns(4)
    with cols[0]:
        st.button("Acknowledge", disabled=not may_act, on_click=_acknowledge, args=(chosen,))
    with cols[1]:
        label = st.selectbox("Snooze for", list(SNOOZES), disabled=not may_act)
        st.button("Snooze", disabled=not may_act, on_click=_snooze, args=(chosen, label))
    with cols[2]:
        _link_control(api, condition, may_act)
    with cols[3]:
        st.button("Open work order", disabled=not may_act, on_click=_open_work, args=(chosen,),
                  help="Opens (or attaches) work by the rules; a condition linked already stays linked")  # fmt: skip


def _link_control(api: ApiClient, condition: Json, may_act: bool) -> None:
    orders = session.attempt(lambda: open_work_of(api, int(condition["asset_id"]))) if may_act else []
    by_id = {int(wo["id"]): wo for wo in orders or []}
    target = st.selectbox(
        "Open work order of the asset",
        list(by_id),
        format_func=lambda i: f"{by_id[i]['number']} - {by_id[i]['status']} - {by_id[i]['summary']}",
        disabled=not by_id,
        placeholder="the asset has no open work order" if may_act else "for dispatchers",
    )
    st.button("Link", disabled=not may_act or target is None, on_click=_link, args=(int(condition["id"]), target))
