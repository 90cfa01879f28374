"""The SINTEF solution format: written, read back, and malformed files refused with their line."""

from __future__ import annotations

from pathlib import Path

import pytest

from service_core.scheduling.routing import (
    RoutingInputError,
    RoutingSolution,
    format_sintef,
    parse_sintef,
    read_sintef,
    write_sintef,
)


def test_round_trip_through_a_file(tmp_path: Path) -> None:
    solution = RoutingSolution.of([[12, 45, 3], [7], [9, 1, 2]])
    path = tmp_path / "out" / "c1_2_1.txt"
    write_sintef(path, solution, instance="c1_2_1", reference="test")
    text = path.read_text()
    assert "Instance name : c1_2_1" in text
    assert "Route 1 : 12 45 3\n" in text
    assert read_sintef(path) == solution


def test_reads_published_solutions_without_header() -> None:
    assert parse_sintef("Route 1 : 5 3\nRoute 2 : 4\n").routes == ((5, 3), (4,))


def test_empty_routes_do_not_count_as_vehicles() -> None:
    assert RoutingSolution.of([[1], [], [2]]).vehicles == 2
    assert parse_sintef(format_sintef(RoutingSolution.of([[1], [2]]), instance="x")).vehicles == 2


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("Solution\nRoute 1 : 1 2\nRoute 3 : 4\n", 3),
        ("Route 1 : 1 two\n", 1),
        ("Route 1 : 1\nCost 12\n", 2),
    ],
)
def test_malformed_solutions_are_refused_with_their_line(text: str, line: int) -> None:
    with pytest.raises(RoutingInputError, match=rf"^sol.txt:{line}:"):
        parse_sintef(text, source="sol.txt")
