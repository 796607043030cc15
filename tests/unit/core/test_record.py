"""Records behave as the dataclasses they replace: construction, defaults, equality, hashing,
freezing, ``replace`` and ``__post_init__`` (the node tier's results, settings and checks rely on
each)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import pytest

from kubeadm_verify.record import FrozenRecordError, field, fields, mutable_record, record, replace


@record
class Point:
    x: int
    y: int = 0
    tags: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.x < 0:
            raise ValueError("x must not be negative")


@mutable_record
class Tally:
    items: list[str] = field(default_factory=list)
    total: int = 0


@dataclasses.dataclass(frozen=True)
class PointDataclass:
    x: int
    y: int = 0
    tags: Mapping[str, Any] = dataclasses.field(default_factory=dict)


def test_construction_and_defaults_as_a_dataclass() -> None:
    assert fields(Point) == ("x", "y", "tags")
    for point in (Point(1), Point(1, 0), Point(x=1), Point(1, tags={})):
        assert (point.x, point.y, point.tags) == (1, 0, {})
    assert Point(1).tags is not Point(1).tags  # a factory's default is made anew
    assert "tags" not in vars(Point)
    assert repr(Point(1, 2)) == repr(PointDataclass(1, 2)).replace("PointDataclass", "Point")


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        ((), {}, "missing required argument: 'x'"),
        ((1, 2, {}, 4), {}, "takes 3 positional arguments but 4 were given"),
        ((1,), {"x": 2}, "multiple values for argument 'x'"),
        ((1,), {"z": 2}, "unexpected keyword argument 'z'"),
    ],
)
def test_bad_arguments_are_refused(
    args: tuple[Any, ...], kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(TypeError, match=message):
        Point(*args, **kwargs)


def test_frozen_equality_hashing_and_post_init() -> None:
    point = Point(1, 2)
    assert point == Point(1, 2)
    assert point != Point(1, 3)
    other: object = PointDataclass(1, 2)
    assert point != other  # another class is never equal
    assert hash(Point(1, 2, ())) == hash(Point(1, 2, ()))  # type: ignore[arg-type]
    assert len({Point(1, 2, ()), Point(1, 2, ())}) == 1  # type: ignore[arg-type]
    with pytest.raises(FrozenRecordError):
        point.x = 5  # type: ignore[misc]
    with pytest.raises(AttributeError):
        del point.y
    with pytest.raises(ValueError, match="negative"):
        Point(-1)


def test_replace_builds_through_init() -> None:
    point = Point(1, 2, {"a": 1})
    moved = replace(point, y=3)
    assert (moved.x, moved.y, moved.tags) == (1, 3, {"a": 1})
    assert point.y == 2
    with pytest.raises(ValueError, match="negative"):
        replace(point, x=-1)
    with pytest.raises(TypeError, match="no field 'z'"):
        replace(point, z=1)
    assert replace(PointDataclass(1), y=4) == PointDataclass(1, 4)  # a dataclass too


def test_a_mutable_record_can_change_and_is_not_hashable() -> None:
    tally = Tally()
    tally.items.append("a")
    tally.total += 1
    assert tally == Tally(["a"], 1)
    assert Tally().items == []
    with pytest.raises(TypeError):
        hash(tally)


def test_a_required_field_after_a_default_is_refused() -> None:
    with pytest.raises(TypeError, match="non-default field 'b'"):

        @record
        class Broken:
            a: int = 0
            b: int  # type: ignore[misc]


@record
class Credential:
    name: str
    token: str = field(default="", repr=False)


def test_a_field_kept_out_of_repr_keeps_its_default() -> None:
    assert Credential("a").token == ""
    assert Credential.token == ""  # a plain default stays a class attribute, as in dataclasses
    shown = repr(Credential("a", "abcdef.0123456789abcdef"))
    assert shown == "Credential(name='a')"
    assert Credential("a", "x") == Credential("a", "x") != Credential("a", "y")


def test_records_survive_pickle_and_deepcopy() -> None:
    """Settings reach xdist workers pickled, and results are copied by pytest's plugins."""
    import copy
    import pickle

    point = Point(1, 2, {"a": [1]})
    for copied in (pickle.loads(pickle.dumps(point)), copy.deepcopy(point)):  # noqa: S301
        assert copied == point
        assert copied.tags is not point.tags
        with pytest.raises(FrozenRecordError):
            copied.x = 3  # type: ignore[misc]


DATACLASS_REPLACE_ALLOWED = {
    "bootstrap/runtime/spec.py": "replaces fields of ClusterSpec, a dataclass",
    "bootstrap/runtime/state.py": "replaces fields of the cluster record, a dataclass",
    "conformance/standard_base/run.py": "replaces fields of the Standard Base's settings",
    "kubeadm_verify/cli/cluster.py": "replaces fields of the cluster verb's settings",
    "kubeadm_verify/record.py": "record.replace hands a dataclass on to it",
}
"""``dataclasses.replace`` refuses a record (``TypeError`` at run time, unseen by mypy), so the
modules that call it name the dataclass they replace; everything else uses ``record.replace``,
which takes both."""


def test_dataclasses_replace_is_used_only_on_dataclasses() -> None:
    import ast
    from pathlib import Path

    repo = Path(__file__).resolve().parents[3]
    users = set()
    for package in ("kubeadm_verify", "nodechecks", "conformance", "bootstrap"):
        for path in (repo / package).rglob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if (
                    isinstance(node, ast.ImportFrom)
                    and node.module == "dataclasses"
                    and any(alias.name == "replace" for alias in node.names)
                ):
                    users.add(str(path.relative_to(repo)))
                if (
                    isinstance(node, ast.Attribute)
                    and node.attr == "replace"
                    and isinstance(node.value, ast.Name)
                    and node.value.id == "dataclasses"
                ):
                    users.add(str(path.relative_to(repo)))
    assert users <= set(DATACLASS_REPLACE_ALLOWED), sorted(users - set(DATACLASS_REPLACE_ALLOWED))
    assert users, "the scan found no use at all: it no longer reads the tree"
