"""The optimizer on the schedule page: a dispatcher previews the plan of the day (planned and unscheduled orders,
travel, SLA and lateness figures as the API computes them), then applies it as bookings."""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from dashboard import session
from dashboard.api_client import Json

SLOT = "schedule-optimizer"
PLAN = "schedule-plan"  # the last preview: {"request": (day, territory), "plan": ...}
ROUTE_COLUMNS = ["technician", "territory", "stops", "travel_km", "travel_minutes", "work_minutes", "depart_at",
                 "return_at"]  # fmt: skip
STOP_COLUMNS = ["technician", "number", "kind", "start_at", "end_at", "travel_km", "sla_margin_minutes",
                "wait_minutes"]  # fmt: skip
UNSCHEDULED_COLUMNS = ["work_order_id", "work_order_number", "reason", "detail"]


def route_rows(plan: Json) -> pd.DataFrame:
    rows = [
        {"technician": r["name"], "territory": r["territory"], "stops": sum(s["kind"] == "work" for s in r["stops"]),
         **{k: r[k] for k in ROUTE_COLUMNS[3:]}}
        for r in plan["routes"]
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=ROUTE_COLUMNS)


def stop_rows(plan: Json) -> pd.DataFrame:
    rows = []
    for route in plan["routes"]:
        for stop in route["stops"]:
            if stop["work_order_id"] is None:
                continue
            explanation = stop.get("explanation") or {}
            rows.append({"technician": route["name"], "number": stop["work_order_number"], "kind": stop["kind"],
                         "start_at": stop["start_at"], "end_at": stop["end_at"], "travel_km": stop["travel_km"],
                         "sla_margin_minutes": explanation.get("sla_margin_minutes"),
                         "wait_minutes": explanation.get("wait_minutes")})  # fmt: skip
    return pd.DataFrame(rows, columns=STOP_COLUMNS)


def lateness(plan: Json) -> tuple[int, float]:
    """Planned stops that end after their SLA deadline, and their minutes late in all (from the explanations)."""
    margins = [m for m in stop_rows(plan)["sla_margin_minutes"].dropna() if m < 0]
    return len(margins), round(-sum(margins), 1)


def preview_text(plan: Json) -> str:
    totals = plan["totals"]
    return (f"Preview of {plan['day']}: {totals['scheduled']} planned, {totals['unscheduled']} unscheduled, "
            f"{totals['travel_km']:.1f} km ({plan['method']}, {plan['seconds']:.1f} s)")  # fmt: skip


def applied_text(plan: Json) -> str:
    applied = plan.get("applied") or {}
    return (f"Plan of {plan['day']} applied: {len(applied.get('created_booking_ids', []))} bookings created, "
            f"{len(applied.get('canceled_booking_ids', []))} canceled, "
            f"{len(applied.get('unchanged_booking_ids', []))} unchanged")  # fmt: skip


def _run(day: date, territory: int | None, seconds: float, mode: str) -> None:
    def call() -> Json:
        return session.client().optimize_schedule(day, mode=mode, time_limit_seconds=seconds, territory=territory)

    plan = session.act(SLOT, call, preview_text if mode == "preview" else applied_text)
    if plan is not None:
        st.session_state[PLAN] = {"request": (day.isoformat(), territory), "plan": plan}


def show_plan(plan: Json) -> None:
    totals, check = plan["totals"], plan["check"]
    late, late_minutes = lateness(plan)
    cols = st.columns(5)
    cols[0].metric("Planned", totals["scheduled"])
    cols[1].metric("Not planned", totals["unscheduled"])
    cols[2].metric("Travel (km)", f"{totals['travel_km']:.1f}")
    cols[3].metric("SLA-critical planned", f"{totals['sla_critical_scheduled']} of {totals['sla_critical_total']}")
    cols[4].metric("Late stops", late, help=f"{late_minutes} minutes past their SLA deadline in all")
    verdict = "passes the independent check" if check["ok"] else f"{len(check['violations'])} check violation(s)"
    st.caption(f"{plan['mode']} by {plan['method']} in {plan['seconds']:.1f} s; the plan {verdict}")
    for violation in check["violations"]:
        st.warning(f"{violation['kind']}: {violation['detail']}")
    for note in plan.get("notes", []):
        st.caption(note)
    st.dataframe(route_rows(plan), hide_index=True)
    st.dataframe(stop_rows(plan), hide_index=True)
    if plan["unscheduled"]:
        st.markdown(f"**Not planned** ({len(plan['unscheduled'])})")
        st.dataframe(pd.DataFrame(plan["unscheduled"], columns=UNSCHEDULED_COLUMNS), hide_index=True)


def _territories() -> dict[int, str]:
    if not session.offered("/resources/territories"):
        return {}
    found = session.remember("territories", 300, lambda: session.client().get("/resources/territories")) or []
    return {int(t["id"]): str(t["name"]) for t in found}


def optimizer_section(day: date) -> None:
    st.subheader("Optimizer")
    may_act = session.may_act()
    if not may_act:
        st.caption(f"Your role ({session.role()}) reads the schedule; running and applying the optimizer is for "
                   "dispatchers and admins.")  # fmt: skip
    names = _territories() if may_act else {}
    cols = st.columns(3)
    territory = cols[0].selectbox("Territory", [None, *names], format_func=lambda t: "all" if t is None else names[t],
                                  disabled=not may_act)  # fmt: skip
    seconds = float(cols[1].number_input("Time limit (s)", min_value=0.5, max_value=60.0, value=5.0, step=0.5,
                                         disabled=not may_act))  # fmt: skip
    cols[2].button("Run the optimizer (preview)", disabled=not may_act, on_click=_run,
                   args=(day, territory, seconds, "preview"))  # fmt: skip
    session.show_outcome(SLOT)
    held = st.session_state.get(PLAN)
    if held is None or held["request"] != (day.isoformat(), territory):
        return
    plan = held["plan"]
    show_plan(plan)
    if plan["mode"] == "preview":
        st.button("Apply this plan", type="primary", disabled=not may_act, on_click=_run,
                  args=(day, territory, seconds, "apply"),
                  help="Books the plan: the optimizer runs again on the day as it is now, so a booking made since "
                       "the preview is respected")  # fmt: skip
