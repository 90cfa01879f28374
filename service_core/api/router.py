"""Every domain's routes, mounted on one router."""

from __future__ import annotations

from fastapi import APIRouter

from service_core.accounts.routes import router as accounts_router
from service_core.agreements.routes import router as agreements_router
from service_core.analytics.routes import router as analytics_router
from service_core.assets.routes import router as assets_router
from service_core.audit.routes import router as audit_router
from service_core.auth.routes import router as auth_router
from service_core.billing.routes import router as billing_router
from service_core.bookings.routes import router as bookings_router
from service_core.catalog.routes import router as catalog_router
from service_core.conditions.routes import router as conditions_router
from service_core.devices.routes import router as devices_router
from service_core.incident_types.routes import router as incident_types_router
from service_core.payments.routes import router as payments_router
from service_core.policies.routes import router as policies_router
from service_core.receivables.routes import router as receivables_router
from service_core.resources.routes import router as resources_router
from service_core.scheduling.routes import router as schedule_router
from service_core.telemetry.routes import router as telemetry_router
from service_core.work_orders.routes import router as work_orders_router

api_router = APIRouter()
for router in (
    auth_router,
    devices_router,
    telemetry_router,
    accounts_router,
    resources_router,
    assets_router,
    catalog_router,
    policies_router,
    agreements_router,
    incident_types_router,
    work_orders_router,
    bookings_router,
    schedule_router,
    billing_router,
    payments_router,
    receivables_router,
    conditions_router,
    analytics_router,
    audit_router,
):
    api_router.include_router(router)
