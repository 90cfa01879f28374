"""`assetpulse detect`: run the live detector (the default), or retrain models from healthy history."""

from __future__ import annotations

import logging
from typing import Annotated

import orjson
import typer

log = logging.getLogger(__name__)

detect_app = typer.Typer(
    help="Live detection: score new telemetry, raise conditions, open work orders.", add_completion=False
)


def _url() -> str:
    from service_core.config import CoreSettings
    from service_core.db.resolve import database_url
    from service_core.logging import configure_logging

    core = CoreSettings()
    configure_logging(core.log_level, core.log_format)
    return database_url(core)


@detect_app.callback(invoke_without_command=True)
def detect(ctx: typer.Context) -> None:
    """Without a subcommand: `detect run` with its defaults."""
    if ctx.invoked_subcommand is None:
        run_detector()


@detect_app.command("run")
def run_detector(
    interval: Annotated[float, typer.Option("--interval", min=0.05, help="Seconds between polls.")] = 1.0,
    metrics_port: Annotated[int, typer.Option("--metrics-port", min=0, max=65535, help="0: off.")] = 9465,
) -> None:
    """Poll new telemetry, score it, raise and clear conditions (Ctrl-C stops)."""
    from detection.live import Detector, run
    from detection.metrics import DetectMetrics

    url = _url()
    metrics = DetectMetrics()
    if metrics_port:
        metrics.serve("127.0.0.1", metrics_port)
    try:
        run(url, interval_s=interval, detector=Detector(metrics=metrics))
    except KeyboardInterrupt:
        log.info("detector stopped")


@detect_app.command("train")
def train_models(
    asset_type: Annotated[str | None, typer.Option("--asset-type", help="One asset type (default: all).")] = None,
    days: Annotated[float, typer.Option("--days", min=0.01, help="Days of history to learn from.")] = 14.0,
    kind: Annotated[str, typer.Option("--kind", help="Scorer: pca, mset or iforest.")] = "pca",
) -> None:
    """Retrain from healthy history (no open condition, no repair job), activate, and print drift against the
    previous version and the history's sampling interval (the detector scores only devices sampling about as
    often); then try a RUL model from repair history."""
    from detection.rul_history import train_rul_from_history
    from detection.sampling import TRAINING_KEY
    from detection.training import train
    from service_core.db.connection import connect

    with connect(_url(), application="assetpulse-detect-train") as conn:
        types = [asset_type] if asset_type else _asset_types(conn)
        if not types:
            raise typer.BadParameter("no devices linked to assets: nothing to train on")
        for t in types:
            try:
                outcome = train(conn, asset_type=t, kind=kind, days=days)
            except ValueError as exc:
                conn.rollback()
                typer.echo(f"{t}: not trained: {exc}")
                continue
            rul = train_rul_from_history(conn, asset_type=t)
            conn.commit()
            interval = outcome.model.training.get(TRAINING_KEY)
            report = {"model": outcome.model.label, "sampling_interval_s": interval, "drift": outcome.drift,
                      "left_out_for_sampling": outcome.model.training.get("left_out_for_sampling", {}),
                      "rul": rul.reason}  # fmt: skip
            typer.echo(f"{t}: {orjson.dumps(report).decode()}")


def _asset_types(conn: object) -> list[str]:
    import psycopg

    assert isinstance(conn, psycopg.Connection)
    rows = conn.execute("SELECT DISTINCT device_type FROM fleet.devices WHERE asset_id IS NOT NULL ORDER BY 1")
    return [str(r[0]) for r in rows.fetchall()]
