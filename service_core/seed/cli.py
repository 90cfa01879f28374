"""`assetpulse seed demo`: fill an empty database with a realistic, seeded demo company."""

from __future__ import annotations

from typing import Annotated

import typer

from service_core.seed.model import Sizes
from service_core.seed.service import SeedReport

app = typer.Typer(help="Demo data written through the domain services.", no_args_is_help=True)
DEFAULTS = Sizes()


@app.command("demo")
def demo(
    seed: Annotated[int, typer.Option(help="The same seed gives the same company.")] = 1,
    accounts: Annotated[int, typer.Option(min=3, max=500, help="Customer accounts.")] = DEFAULTS.accounts,
    assets: Annotated[int, typer.Option(min=1, max=5000, help="Pieces of equipment (sites and parts extra).")] = (
        DEFAULTS.assets
    ),
    history_days: Annotated[int, typer.Option(min=14, max=730, help="Days of work history.")] = DEFAULTS.history_days,
) -> None:
    """Create a demo company (accounts, technicians, assets, leases, agreements, months of work and billing).

    Refuses a database that already has accounts.  Logins are printed once with generated passwords.
    """
    from service_core.cli import _url
    from service_core.seed.service import seed_database

    report = seed_database(_url(), seed=seed, sizes=Sizes(accounts=accounts, assets=assets, history_days=history_days))
    typer.echo(render(report))


def render(report: SeedReport) -> str:
    """The report as printed: what was created, how long it took, and the logins (passwords shown only now)."""
    steps = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in report.phases.items())
    lines = [f"demo company (seed {report.seed}) created in {report.seconds:.1f} s ({steps}):"]
    lines += [f"  {name:<12} {count}" for name, count in report.counts.items()]
    lines.append("logins (the passwords are shown only now):")
    lines += [f"  {login.role:<11} {login.email:<42} {login.password}" for login in report.logins]
    return "\n".join(lines)
