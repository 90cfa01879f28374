"""Page: see dashboard.views.asset."""

from dashboard.views.asset import render

render()
