"""Page: see dashboard.views.schedule."""

from dashboard.views.schedule import render

render()
