"""Page: see dashboard.views.finance."""

from dashboard.views.finance import render

render()
