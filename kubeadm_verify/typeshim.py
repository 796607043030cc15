"""What the node tier's modules need of ``typing`` while they run, without importing ``typing``.

``kubeadm-verify node`` is timed against kubeadm's own preflight, and ``typing`` took about
2 ms of it to import, and as much again to make its ten ``NamedTuple`` classes: under
``from __future__ import annotations`` every annotation is a string, and ``typing.NamedTuple``
compiles each field's into a ``ForwardRef`` as it makes the class. Type checkers never see
this module; each user imports the real names for them and these for the run::

    TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing
    if TYPE_CHECKING:
        from typing import NamedTuple
    else:
        from kubeadm_verify.typeshim import NamedTuple

``NamedTuple`` makes the class ``collections.namedtuple`` makes (fields and defaults from the
annotations, the class's own methods, properties and docstring kept), as ``typing.NamedTuple``
does once it has checked the annotations. ``Generic`` takes a subscript and gives a plain base;
``TypeVar``, ``cast``, ``overload`` and ``dataclass_transform`` do what ``typing``'s do at run
time, which is nothing that changes a value. ``tests/unit/core/test_typeshim.py`` holds the
classes to ``typing``'s.
"""

from __future__ import annotations

import collections
from collections.abc import Callable

_NOT_COPIED = frozenset({"__module__", "__qualname__", "__annotations__", "__dict__"})
_PROTECTED = frozenset({"__new__", "__init__", "__slots__", "__getnewargs__", "_fields", "_make"})
"""What ``typing.NamedTuple`` refuses to let a class body define (``_prohibited``, in part)."""


class _NamedTupleMeta(type):
    def __new__(mcs, name: str, bases: tuple[type, ...], namespace: dict[str, object]) -> type:
        if not bases:  # NamedTuple itself
            return super().__new__(mcs, name, bases, namespace)
        annotations = namespace.get("__annotations__", {})
        assert isinstance(annotations, dict)
        fields = tuple(annotations)
        defaults = [namespace[field] for field in fields if field in namespace]
        for field in fields[len(fields) - len(defaults) :]:
            if field not in namespace:
                raise TypeError(f"non-default namedtuple field {field} cannot follow default field")
        make: Callable[..., type] = collections.namedtuple  # fields known only here
        made = make(name, fields, defaults=defaults, module=str(namespace["__module__"]))
        made.__annotations__ = dict(annotations)
        for key, value in namespace.items():
            if key in _PROTECTED:
                raise AttributeError(f"cannot overwrite NamedTuple attribute {key}")
            if key not in _NOT_COPIED and key not in fields:
                setattr(made, key, value)
        made.__qualname__ = str(namespace.get("__qualname__", name))
        return made


class NamedTuple(metaclass=_NamedTupleMeta):
    """Base of a class that ``collections.namedtuple`` makes from its annotations."""


class Generic:
    """A base that takes a subscript (``Generic[T]``, ``Registry[NodeContext]``) and ignores it."""

    def __class_getitem__(cls, parameters: object) -> type:
        return cls


def TypeVar(name: str, *constraints: object, **options: object) -> str:
    """A type variable's name: at run time nothing reads more of it."""
    return name


def cast(kind: object, value: object) -> object:
    return value


def overload(func: Callable[..., object]) -> Callable[..., object]:
    return func


def dataclass_transform(**options: object) -> Callable[[object], object]:
    return lambda decorated: decorated


__all__ = ["Generic", "NamedTuple", "TypeVar", "cast", "dataclass_transform", "overload"]
