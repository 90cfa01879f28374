"""Page: see dashboard.views.conditions."""

from dashboard.views.conditions import render

render()
