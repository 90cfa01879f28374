"""`assetpulse eval ...`: benchmark evaluations of the detection models; each prints figures or one JSON object."""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path
from typing import Annotated

import orjson
import typer

from detection.evaluate import cmapss, nab, skab
from detection.streaming import StreamingConfig

log = logging.getLogger(__name__)

eval_app = typer.Typer(help="Evaluate the detection models on public benchmarks.", add_completion=False)


def _emit(report: dict[str, object], json_output: bool) -> None:
    if json_output:
        typer.echo(orjson.dumps(report).decode())
        return
    for key, value in report.items():
        typer.echo(f"{key}: {value}")


def _existing(path: Path, what: str) -> Path:
    if not path.exists():
        raise typer.BadParameter(f"{what} {path} does not exist")
    return path


@eval_app.command("nab")
def eval_nab(
    *,
    data: Annotated[Path, typer.Option("--data", help="NAB folder holding data/ and labels/.")],
    out: Annotated[Path | None, typer.Option("--out", help="Results folder (default: a temporary one).")] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Causal streaming detector over every NAB file; NAB results files and scores (standard, low FP, low FN)."""
    corpus = nab.load_corpus(_existing(data, "NAB folder"))
    scores = nab.detect_corpus(corpus, nab.streaming_detector(StreamingConfig()))
    with tempfile.TemporaryDirectory() as scratch:
        target = out or Path(scratch)
        for data_file, file_scores in zip(corpus, scores, strict=True):
            nab.write_results(target, data_file, file_scores.tolist())
        report = nab.score_results(corpus, scores)
        report["holdout"] = nab.holdout_report(corpus, scores)
        report["tuning_half"] = nab.split_half(corpus, scores, 0)
        report["out"] = str(out) if out else None
    _emit(report, json_output)


@eval_app.command("skab")
def eval_skab(
    *,
    data: Annotated[Path, typer.Option("--data", help="SKAB folder with sub-folders of ';'-separated CSVs.")],
    json_output: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """SKAB outlier task: per file, fit on the first 400 rows and score the rest; F1, FAR, MAR (fractions).

    The headline figures are leave-one-file-out: each file is scored by the model and alarm rule chosen on the
    other files, so no file's labels choose the settings that score it."""
    files = skab.load_corpus(_existing(data, "SKAB folder"))
    if len(files) < 2:
        raise typer.BadParameter(f"at least two labelled SKAB files are needed under {data}")
    alarms = skab.candidate_alarms(files, skab.SCORERS, skab.RULES)
    held = skab.leave_one_file_out(files, alarms)
    final = skab.best_candidate(files, alarms, range(len(files)))
    in_sample = skab.pooled(files, alarms[final])
    chosen: dict[str, int] = {}
    for candidate in held.chosen:
        label = ", ".join(f"{k}={v}" for k, v in candidate.describe().items())
        chosen[label] = chosen.get(label, 0) + 1
    m = held.metrics
    report: dict[str, object] = {
        "f1": round(m.f1, 4),
        "far": round(m.far, 4),
        "mar": round(m.mar, 4),
        "files": [f.name for f in files],
        "protocol": "first 400 rows of each file train; leave-one-file-out choice of model and rule",
        "counts": {"tp": m.tp, "fp": m.fp, "fn": m.fn, "tn": m.tn},
        "chosen_per_file": chosen,
        "candidates": len(alarms),
        "max_far": skab.MAX_FAR,
        "final_model": final.describe(),
        "final_model_in_sample": {
            "f1": round(in_sample.f1, 4),
            "far": round(in_sample.far, 4),
            "mar": round(in_sample.mar, 4),
        },
    }
    _emit(report, json_output)


@eval_app.command("rul")
def eval_rul(
    *,
    train: Annotated[Path, typer.Option("--train", help="Run-to-failure engines (train_FD001.txt layout).")],
    test: Annotated[Path, typer.Option("--test", help="Partial engine histories (test_FD001.txt layout).")],
    truth: Annotated[Path, typer.Option("--truth", help="True RUL per test engine (RUL_FD001.txt layout).")],
    json_output: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """C-MAPSS RUL: tune on held-out training engines, refit, score RMSE and PHM08 on the test engines."""
    result = cmapss.evaluate(
        cmapss.load_engines(_existing(train, "training file")),
        cmapss.load_engines(_existing(test, "test file")),
        cmapss.load_truth(_existing(truth, "truth file")),
    )
    report: dict[str, object] = {
        "rmse": round(result.rmse, 3),
        "phm08_score": round(result.phm08_score, 2),
        "engines": result.engines,
        "band": {"quantiles": list(result.config.band), "coverage": round(result.band_coverage, 3)},
        "mean_band_width": round(result.mean_band_width, 2),
        "validation_rmse": round(result.validation_rmse, 3),
        "model": {
            "max_iter": result.config.max_iter,
            "learning_rate": result.config.learning_rate,
            "max_leaf_nodes": result.config.max_leaf_nodes,
        },
    }
    _emit(report, json_output)
