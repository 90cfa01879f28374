"""Pure rules of assets: the site → asset → component hierarchy, the tree of an asset, and meters that only rise."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal

# The level a parent must have, per level of the child (None: no parent at all).
ALLOWED_PARENT_LEVELS: dict[str, frozenset[str | None]] = {
    "site": frozenset({None}),
    "asset": frozenset({None, "site"}),
    "component": frozenset({"asset"}),
}


def parent_problem(level: str, parent_level: str | None) -> str | None:
    """Why an asset of `level` may not hang under a parent of `parent_level` (None: no parent), or None if it may."""
    if parent_level in ALLOWED_PARENT_LEVELS[level]:
        return None
    if parent_level is None:
        return f"{_article(level)} {level} needs a parent asset"
    if level == "site":
        return "a site has no parent"
    allowed = " or ".join(sorted(p or "none" for p in ALLOWED_PARENT_LEVELS[level]))
    return f"{_article(level)} {level}'s parent must be {allowed}, not {_article(parent_level)} {parent_level}"


def _article(noun: str) -> str:
    return "an" if noun[0] in "aeiou" else "a"


def children_problem(level: str, child_levels: Iterable[str]) -> str | None:
    """Why an asset with children of `child_levels` may not become `level`, or None."""
    for child_level in sorted(set(child_levels)):
        problem = parent_problem(child_level, level)
        if problem is not None:
            return f"it has a {child_level} below it: {problem}"
    return None


def cycle_problem(asset_id: int, parent_chain: Sequence[int]) -> str | None:
    """Why `asset_id` may not hang under the parent whose chain (the parent, its parent, ... up) is given."""
    if asset_id in parent_chain:
        return f"asset {asset_id} would be its own ancestor"
    return None


def tree(root_id: int, parent_of: dict[int, int | None]) -> dict[int, list[int]]:
    """The children ids of every node of the subtree under `root_id`, in id order."""
    children: dict[int, list[int]] = {}
    for node, parent in sorted(parent_of.items()):
        children.setdefault(node, [])
        if parent is not None and node != root_id:
            children.setdefault(parent, []).append(node)
    return children


def meter_problem(value: Decimal, *, earlier: Decimal | None, later: Decimal | None) -> str | None:
    """Why a reading may not sit between the readings just before and after it in time: a meter never goes down."""
    if earlier is not None and value < earlier:
        return f"the meter read {earlier} before; it cannot go down to {value}"
    if later is not None and value > later:
        return f"the meter read {later} later; a reading of {value} before that would mean it went down"
    return None
