"""Page: see dashboard.views.work_orders."""

from dashboard.views.work_orders import render

render()
