"""Streamlit dashboard (issue 6)."""
