"""Page: see dashboard.views.analytics."""

from dashboard.views.analytics import render

render()
