"""Parsing Solomon/SINTEF instances and best_known.csv: good input read exactly, bad input named by file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from service_core.scheduling.routing import RoutingInputError, parse_instance, read_best_known, read_instance

TINY = """tiny_1

VEHICLE
NUMBER     CAPACITY
  3          10

CUSTOMER
CUST NO.  XCOORD.    YCOORD.    DEMAND   READY TIME  DUE DATE   SERVICE TIME

    0      0          0          0          0        100          0
    1      3          4          5          0         50          1
    2      6.5        8          5         10         50          1
"""


def test_parses_fleet_depot_and_customers() -> None:
    instance = parse_instance(TINY)
    assert (instance.name, instance.vehicle_limit, instance.capacity) == ("tiny_1", 3, 10)
    assert instance.depot.number == 0 and instance.depot.due_time == 100
    assert [customer.number for customer in instance.customers] == [1, 2]
    second = instance.customers[1]
    assert (second.x, second.y, second.demand, second.ready_time, second.due_time, second.service_time) == (
        6.5,
        8.0,
        5,
        10.0,
        50.0,
        1.0,
    )
    assert instance.sites[2] is second


@pytest.mark.parametrize(
    ("broken", "line", "words"),
    [
        (TINY.replace("    2      6.5        8          5", "    2      6.5        8"), 12, "7 numbers"),
        (TINY.replace("    2      6.5", "    5      6.5"), 12, "out of order"),
        (TINY.replace("5         10         50", "5.5       10         50"), 12, "whole number"),
        (TINY.replace("10         50          1", "60         50          1"), 12, "after due date"),
        (TINY.replace("  3          10", "  3"), 5, "vehicles capacity"),
    ],
)
def test_malformed_rows_are_named_by_file_and_line(broken: str, line: int, words: str) -> None:
    with pytest.raises(RoutingInputError) as raised:
        parse_instance(broken, source="tiny.txt")
    assert str(raised.value).startswith(f"tiny.txt:{line}:")
    assert words in str(raised.value)


def test_missing_sections_and_empty_files_are_refused() -> None:
    with pytest.raises(RoutingInputError, match="no CUSTOMER section"):
        parse_instance(TINY.split("CUSTOMER", maxsplit=1)[0], source="t.txt")
    with pytest.raises(RoutingInputError, match="empty"):
        parse_instance("  \n", source="t.txt")


def test_read_instance_names_an_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(RoutingInputError, match=r"absent\.txt"):
        read_instance(tmp_path / "absent.txt")


def test_best_known_table(tmp_path: Path) -> None:
    table = tmp_path / "best_known.csv"
    table.write_text("benchmark,instance,routes,distance\nGH,c1_2_1,20,2704.5678\nGH,r2_2_1,4,4483.1598\n")
    best = read_best_known(table)
    assert best["c1_2_1"].vehicles == 20 and best["c1_2_1"].distance == pytest.approx(2704.5678)
    assert set(best) == {"c1_2_1", "r2_2_1"}


def test_best_known_errors_name_the_line(tmp_path: Path) -> None:
    table = tmp_path / "best_known.csv"
    table.write_text("instance,routes,distance\nc1_2_1,20,2704.5\nr1_2_1,twenty,4784.1\n")
    with pytest.raises(RoutingInputError, match=r"best_known.csv:3:"):
        read_best_known(table)
    table.write_text("instance,vehicles\nc1_2_1,20\n")
    with pytest.raises(RoutingInputError, match="missing column"):
        read_best_known(table)
