"""Composition root of `assetpulse dashboard`: the login form, then the pages the user's role may read.

Run with `streamlit run dashboard/app.py` (or `assetpulse dashboard`); every figure comes from the service-core API
at ASSETPULSE_API_URL, read with the user's own login.
"""

from __future__ import annotations

import streamlit as st

from dashboard import session
from dashboard.api_client import ApiError

# Page scripts live in screens/, not pages/: Streamlit would also serve a pages/ folder as pages of their own,
# bypassing the login below.
PAGES: tuple[tuple[str, str, str, frozenset[str] | None], ...] = (
    # (file, title, icon, roles that see it; None: every role)
    ("screens/fleet.py", "Fleet health", ":material/monitor_heart:", None),
    ("screens/asset.py", "Asset", ":material/precision_manufacturing:", None),
    ("screens/work_orders.py", "Work orders", ":material/assignment:", None),
    ("screens/finance.py", "Finance", ":material/payments:", frozenset({"admin", "finance", "dispatcher", "viewer"})),
    ("screens/analytics.py", "Analytics", ":material/insights:", None),
    ("screens/schedule.py", "Schedule", ":material/calendar_month:", None),
    ("screens/conditions.py", "Conditions", ":material/notification_important:", None),
)


def login_page() -> None:
    st.title("AssetPulse")
    notice = st.session_state.get(session.NOTICE)
    if notice:
        st.warning(notice)
    with st.form("login"):
        email = st.text_input("Email")
        password = st.text_input("Password", type="password")
        submitted = st.form_submit_button("Log in")
    if submitted:
        try:
            session.log_in(email.strip(), password)
        except ApiError as exc:
            st.error(f"Login failed: {exc.message}")
            return
        st.rerun()


def main() -> None:
    st.set_page_config(page_title="AssetPulse", page_icon=":material/monitor_heart:", layout="wide")
    if not session.logged_in():
        # Every page is known (hidden) while logged out, so a link to a page with its query (e.g.
        # /asset?asset_id=7&range=1y) is still where the user lands after logging in.
        st.navigation([st.Page(path, title=title, icon=icon) for path, title, icon, _ in PAGES], position="hidden")
        login_page()
        return
    role = session.role()
    pages = [
        st.Page(path, title=title, icon=icon) for path, title, icon, roles in PAGES if roles is None or role in roles
    ]
    with st.sidebar:
        st.caption(f"{st.session_state.get(session.NAME, '')} - {role}")
        if st.button("Log out"):
            session.log_out()
            st.rerun()
    st.navigation(pages).run()


main()
