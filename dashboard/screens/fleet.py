"""Page: see dashboard.views.fleet."""

from dashboard.views.fleet import render

render()
