"""The pure rules of assets: the hierarchy's levels, cycles, the tree, and meters that never go down."""

from __future__ import annotations

from decimal import Decimal

import pytest

from service_core.assets.domain import children_problem, cycle_problem, meter_problem, parent_problem, tree


@pytest.mark.parametrize(
    ("level", "parent_level", "problem"),
    [
        ("site", None, None),
        ("asset", None, None),
        ("asset", "site", None),
        ("component", "asset", None),
        ("site", "site", "a site has no parent"),
        ("site", "asset", "a site has no parent"),
        ("asset", "asset", "an asset's parent must be none or site, not an asset"),
        ("asset", "component", "an asset's parent must be none or site, not a component"),
        ("component", None, "a component needs a parent asset"),
        ("component", "site", "a component's parent must be asset, not a site"),
        ("component", "component", "a component's parent must be asset, not a component"),
    ],
)
def test_parent_levels(level, parent_level, problem):
    assert parent_problem(level, parent_level) == problem


def test_an_asset_with_components_cannot_become_a_component_or_site():
    assert children_problem("asset", ["component"]) is None
    assert children_problem("component", ["component"]) == (
        "it has a component below it: a component's parent must be asset, not a component"
    )
    assert children_problem("site", ["asset"]) is None
    assert children_problem("asset", ["asset"]) is not None


def test_cycles_are_refused():
    assert cycle_problem(1, [5, 3, 1]) == "asset 1 would be its own ancestor"
    assert cycle_problem(1, [5, 3]) is None


def test_tree_lists_children_in_id_order():
    assert tree(1, {1: None, 2: 1, 4: 2, 3: 1}) == {1: [2, 3], 2: [4], 3: [], 4: []}


def test_tree_of_a_subtree_ignores_the_roots_parent():
    assert tree(2, {2: 1, 4: 2}) == {2: [4]} | {4: []}


@pytest.mark.parametrize(
    ("value", "earlier", "later", "ok"),
    [
        ("10", None, None, True),
        ("10", "10", None, True),
        ("11", "10", None, True),
        ("9.5", "10", None, False),
        ("12", "10", "15", True),
        ("16", "10", "15", False),
        ("5", None, "15", True),
    ],
)
def test_meter_readings_never_go_down(value, earlier, later, ok):
    problem = meter_problem(
        Decimal(value),
        earlier=None if earlier is None else Decimal(earlier),
        later=None if later is None else Decimal(later),
    )
    assert (problem is None) is ok
    if not ok:
        assert "down" in problem
