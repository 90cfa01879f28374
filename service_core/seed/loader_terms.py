"""Write the company's terms: business calendars, default SLA targets and escalations, incident types, agreements."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import psycopg

from service_core.agreements import pm_service
from service_core.agreements import service as agreements_service
from service_core.agreements.schemas import AgreementCreate, PmPlanCreate
from service_core.incident_types import service as incident_types_service
from service_core.incident_types.schemas import IncidentTypeIn, SkillNeed, SuggestedItem
from service_core.policies import config_service
from service_core.policies.schemas import (
    CalendarCreate,
    EscalationRuleCreate,
    HolidayIn,
    HoursIn,
    SlaTargetCreate,
)
from service_core.seed.loader import Ids
from service_core.seed.model import AgreementPlan, Company
from service_core.seed.vocabulary import INCIDENTS, TIMEZONE

BUSINESS = "Business hours Rotterdam"
ALWAYS = "24x7"
# priority: (calendar, response minutes, resolution minutes)
SLA_DEFAULTS = {
    "emergency": (ALWAYS, 120, 480),
    "high": (ALWAYS, 240, 1440),
    "normal": (BUSINESS, 540, 1620),
    "low": (BUSINESS, 1620, 4860),
}
ESCALATIONS = (
    EscalationRuleCreate(priority=None, target="response", at_fraction=Decimal("0.75"), action="notify",
                         notify_role="dispatcher"),
    EscalationRuleCreate(priority="normal", target="response", at_fraction=Decimal("1"), action="raise_priority"),
    EscalationRuleCreate(priority="emergency", target="resolution", at_fraction=Decimal("1"), action="notify",
                         notify_role="admin"),
    EscalationRuleCreate(priority="high", target="resolution", at_fraction=Decimal("1"), action="reassign"),
)  # fmt: skip


def dutch_holidays(years: range) -> list[HolidayIn]:
    """The fixed-date public holidays of the Netherlands in `years` (the moving ones are left out)."""
    fixed = ((1, 1, "New Year's Day"), (4, 27, "King's Day"), (12, 25, "Christmas Day"), (12, 26, "Boxing Day"))
    return [HolidayIn(day=date(y, m, d), name=name) for y in years for m, d, name in fixed]


def load_policies(conn: psycopg.Connection, company: Company, ids: Ids) -> None:
    """Two calendars (business hours, 24x7), the default SLA target of every priority, escalation rules."""
    year = company.now.year
    business = CalendarCreate(
        name=BUSINESS,
        timezone=TIMEZONE,
        hours=[HoursIn(weekday=d, start_time="08:00", end_time="17:00") for d in range(5)],
        holidays=dutch_holidays(range(year - 1, year + 2)),
    )
    always = CalendarCreate(name=ALWAYS, timezone=TIMEZONE, always_open=True)
    for calendar_in in (business, always):
        ids.calendars[calendar_in.name] = config_service.create_calendar(conn, calendar_in=calendar_in).id
    for priority, (calendar, response, resolution) in SLA_DEFAULTS.items():
        target_in = SlaTargetCreate(
            priority=priority,
            calendar_id=ids.calendars[calendar],
            response_minutes=response,
            resolution_minutes=resolution,
        )
        config_service.create_sla_target(conn, target_in=target_in)
    for rule_in in ESCALATIONS:
        config_service.create_escalation_rule(conn, rule_in=rule_in)


def load_incident_types(conn: psycopg.Connection, ids: Ids) -> None:
    """The job templates: work type, estimate, default priority, required skills, checklist, suggested parts."""
    for spec in INCIDENTS:
        incident_type_in = IncidentTypeIn(
            code=spec.code,
            name=spec.name,
            work_type=spec.work_type,
            estimated_minutes=spec.minutes,
            default_priority=spec.priority,
            skills=[SkillNeed(skill_id=ids.skills[code], min_proficiency=level) for code, level in spec.skills],
            tasks=list(spec.tasks),
            items=[SuggestedItem(item_id=ids.items[sku], quantity=Decimal(q)) for sku, q in spec.items],
        )
        ids.incident_types[spec.code] = incident_types_service.create(conn, incident_type_in=incident_type_in).id


def load_agreements(conn: psycopg.Connection, company: Company, ids: Ids) -> None:
    """Service agreements with their PM plans and a warranty, each activated (its fee periods generated)."""
    for plan in company.agreements:
        agreement = agreements_service.create_agreement(conn, agreement_in=_agreement_in(plan, ids))
        ids.agreements[plan.number] = agreement.id
        for pm in plan.pm_plans:
            plan_in = PmPlanCreate(
                asset_id=ids.assets[pm.asset] if pm.asset is not None else None,
                incident_type_id=ids.incident_types[pm.incident],
                basis=pm.basis,
                interval_days=pm.interval_days,
                interval_run_hours=pm.interval_run_hours,
                first_due_date=pm.first_due_date,
            )
            pm_service.create_pm_plan(conn, agreement_id=agreement.id, plan_in=plan_in)
        agreements_service.change_status(conn, agreement_id=agreement.id, action="activate", on=plan.start_date)


def _agreement_in(plan: AgreementPlan, ids: Ids) -> AgreementCreate:
    return AgreementCreate(
        number=plan.number,
        kind=plan.kind,
        account_id=ids.accounts[plan.account],
        name=plan.name,
        start_date=plan.start_date,
        end_date=plan.end_date,
        asset_ids=[ids.assets[key] for key in plan.assets],
        covered_work_types=list(plan.covered_work_types),
        covers_parts=plan.covers_parts,
        discount_pct=plan.discount_pct,
        calendar_id=ids.calendars[BUSINESS] if plan.business_hours else None,
        periodic_fee=plan.periodic_fee,
        billing_period_months=plan.billing_period_months,
    )
