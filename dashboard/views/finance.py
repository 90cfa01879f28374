"""Finance: invoices, payments, receivables aging by bucket, the DSO trend, the collections worklist, credit holds.

Invoices and payments, the aging, and the worklist with the credit holds are re-read every refresh period (three
fragments); the "overdue only" toggle stays outside them, and the DSO of past month ends is read with the page."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

import pandas as pd
import streamlit as st

from dashboard import session
from dashboard.api_client import ApiClient, Json

AGING_BUCKETS = {
    "current": "current",
    "days_1_30": "1-30",
    "days_31_60": "31-60",
    "days_61_90": "61-90",
    "days_90_plus": "90+",
}
INVOICE_COLUMNS = ["invoice_number", "kind", "shown_status", "account", "issue_date", "due_date", "total", "balance"]


def money(value: object) -> float:
    """An API amount (a decimal string) as a number for tables and charts."""
    return float(Decimal(str(value)))


def invoice_frame(invoices: Sequence[Json], accounts: dict[int, str]) -> pd.DataFrame:
    rows = [
        {**inv, "account": accounts.get(int(inv["account_id"]), str(inv["account_id"])),
         "total": money(inv["total"]), "balance": money(inv["balance"])}
        for inv in invoices
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=INVOICE_COLUMNS)


def aging_frame(report: Json) -> pd.DataFrame:
    """The totals row of the aging report as one amount per bucket, in bucket order."""
    totals = report["totals"]
    return pd.DataFrame(
        {"bucket": list(AGING_BUCKETS.values()), "amount": [money(totals[key]) for key in AGING_BUCKETS]}
    ).set_index("bucket")


def dso_frame(report: Json) -> pd.DataFrame:
    rows = [{"month end": p["as_of"], "DSO": None if p["dso"] is None else money(p["dso"])} for p in report["points"]]
    frame = pd.DataFrame(rows, columns=["month end", "DSO"])
    frame["month end"] = pd.to_datetime(frame["month end"])
    return frame.set_index("month end")


def _accounts(api: ApiClient) -> dict[int, str]:
    accounts = session.remember("account-names", 60, api.accounts)
    return {int(a["id"]): str(a["name"]) for a in accounts or []}


def invoices_section(api: ApiClient, accounts: dict[int, str], *, overdue_only: bool) -> None:
    invoices = session.attempt(lambda: api.invoices({"overdue": True} if overdue_only else None, max_items=1000))
    if invoices is None:
        return
    frame = invoice_frame(invoices, accounts)
    cols = st.columns(3)
    cols[0].metric("Invoices", len(frame))
    cols[1].metric("Billed", f"{frame['total'].sum():,.2f}")
    cols[2].metric("Open balance", f"{frame['balance'].sum():,.2f}")
    st.dataframe(frame, hide_index=True)


def payments_section(api: ApiClient, accounts: dict[int, str]) -> None:
    st.subheader("Payments")
    if not session.require_route("/payments", "Payments"):
        return
    payments = session.attempt(lambda: api.get_all("/payments", max_items=1000))
    if payments is None:
        return
    columns = ["received_on", "account", "amount", "allocated", "unapplied", "method", "reference", "status"]
    rows = [{**p, "account": accounts.get(int(p["account_id"]), str(p["account_id"]))} for p in payments]
    st.metric("Payments", len(rows))
    st.dataframe(pd.DataFrame(rows, columns=columns), hide_index=True)


def aging_section(api: ApiClient) -> None:
    st.subheader("Receivables aging")
    if not session.require_route("/receivables/aging", "Aging"):
        return
    report = session.attempt(lambda: api.get("/receivables/aging"))
    if report is None:
        return
    frame = aging_frame(report)
    st.caption(session.updated_stamp())
    st.caption(f"As of {report['as_of']}; open total {money(report['totals']['open_total']):,.2f}")
    st.bar_chart(frame, sort=False)  # buckets in age order, not alphabetical
    st.dataframe(frame.reset_index(), hide_index=True)


def dso_section(api: ApiClient) -> None:
    st.subheader("Days sales outstanding, last 12 month ends")
    report = session.attempt(lambda: api.analytics("dso", {"months": 12}))
    if report is None:
        return
    frame = dso_frame(report)
    st.line_chart(frame)
    st.dataframe(frame.reset_index(), hide_index=True)


def collections_section(api: ApiClient) -> None:
    st.subheader("Collections worklist")
    if not session.require_route("/receivables/worklist", "Collections worklist"):
        return
    rows = session.attempt(lambda: api.get_all("/receivables/worklist", max_items=500))
    if rows is None:
        return
    st.caption(session.updated_stamp())
    columns = ["account_name", "score", "reason", "overdue_total", "oldest_days_overdue", "dunning_level",
               "broken_promises", "credit_hold"]  # fmt: skip
    st.dataframe(pd.DataFrame(rows, columns=columns), hide_index=True)


def credit_holds_section(api: ApiClient) -> None:
    st.subheader("Credit holds")
    held = session.attempt(lambda: api.accounts(credit_hold=True))
    if held is None:
        return
    st.metric("Accounts on hold", len(held))
    columns = ["number", "name", "credit_hold_reason", "credit_hold_since", "credit_hold_manual", "credit_limit"]
    st.dataframe(pd.DataFrame(held, columns=columns), hide_index=True)


def render() -> None:
    st.title("Finance")
    every = session.settings().refresh_seconds
    st.subheader("Invoices")
    overdue_only = st.toggle("Overdue only")

    @st.fragment(run_every=every)
    def live_billing() -> None:
        api = session.client()
        accounts = _accounts(api)
        st.caption(session.updated_stamp())
        invoices_section(api, accounts, overdue_only=overdue_only)
        payments_section(api, accounts)

    @st.fragment(run_every=every)
    def live_aging() -> None:
        aging_section(session.client())

    @st.fragment(run_every=every)
    def live_collections() -> None:
        collections_section(session.client())
        credit_holds_section(session.client())

    live_billing()
    left, right = st.columns(2)
    with left:
        live_aging()
    with right:
        dso_section(session.client())
    live_collections()
