"""Records: classes whose fields are their annotations, as ``dataclasses`` makes them, for less.

``dataclasses`` writes each class's ``__init__``, ``__repr__``, ``__eq__`` (and, frozen,
``__setattr__`` and ``__hash__``) as source text and compiles it when the class is created, and
imports ``inspect`` (with ``ast``, ``dis`` and ``tokenize``) to do so. ``kubeadm-verify node`` is
timed against kubeadm's own preflight, and its results, settings, checks and context were eleven
such classes: about a fifth of its CPU time went to writing and compiling their methods.

Here every record shares the same few methods, which read the field names the decorator noted
once: nothing is compiled. ``@record`` is a frozen dataclass (assigning a field raises, equal
fields are equal records, hashable when its fields are), ``@mutable_record`` a plain one; both
take ``field(default_factory=...)`` for a default made anew per record, and ``replace`` is
``dataclasses.replace``. Type checkers read them as dataclasses (``dataclass_transform``).
"""

from __future__ import annotations

from collections.abc import Callable

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing
if TYPE_CHECKING:
    from typing import Any, TypeVar, dataclass_transform, overload
else:
    from kubeadm_verify.typeshim import TypeVar, dataclass_transform, overload

T = TypeVar("T")
_MISSING = object()


class FrozenRecordError(AttributeError):
    """A field of a frozen record was assigned or deleted."""


class _Field:
    __slots__ = ("default", "make", "shown")

    def __init__(self, default: object, make: Callable[[], object] | None, shown: bool) -> None:
        self.default, self.make, self.shown = default, make, shown


# ruff reads ``overload`` as the run-time stand-in, not typing's: the redefinitions are overloads.
@overload
def field(*, default: T, repr: bool = True) -> T: ...
@overload
def field(*, default_factory: Callable[[], T], repr: bool = True) -> T: ...  # noqa: F811
def field(  # noqa: F811
    *,
    default: object = _MISSING,
    default_factory: Callable[[], object] | None = None,
    repr: bool = True,
) -> Any:
    """A field's default, made anew for each record with ``default_factory``; ``repr=False``
    keeps it out of the record's ``repr`` (a token, a key). ``dataclasses.field``'s spelling."""
    return _Field(default, default_factory, repr)


@dataclass_transform(frozen_default=True, field_specifiers=(field,))
def record(cls: type[T]) -> type[T]:
    """``cls`` as a frozen record."""
    return _make(cls, frozen=True)


@dataclass_transform(field_specifiers=(field,))
def mutable_record(cls: type[T]) -> type[T]:
    """``cls`` as a record whose fields may be assigned (not hashable, as a dataclass)."""
    return _make(cls, frozen=False)


def replace(item: T, /, **changes: Any) -> T:
    """A copy of ``item`` with ``changes``, built (and so checked) by its ``__init__``; of a
    dataclass, ``dataclasses.replace``'s (so one ``replace`` serves code that holds both)."""
    names: tuple[str, ...] | None = getattr(type(item), "__record_fields__", None)
    if names is None:
        import dataclasses  # only for a dataclass, which has imported it already

        return dataclasses.replace(item, **changes)  # type: ignore[type-var]
    unknown = set(changes) - set(names)
    if unknown:
        raise TypeError(f"{type(item).__name__} has no field {sorted(unknown)[0]!r}")
    values = {name: getattr(item, name) for name in names}
    values.update(changes)
    return type(item)(**values)


def fields(item: object) -> tuple[str, ...]:
    """The field names of a record (class or instance), in order."""
    names: tuple[str, ...] = getattr(item, "__record_fields__", ())
    return names


def _make(cls: type[T], *, frozen: bool) -> type[T]:
    names: list[str] = []
    defaults: dict[str, object] = {}
    hidden: set[str] = set()
    for base in reversed(cls.__mro__[1:]):
        names += [n for n in getattr(base, "__record_fields__", ()) if n not in names]
        defaults.update(getattr(base, "__record_defaults__", {}))
        hidden.update(getattr(base, "__record_hidden__", ()))
    own = cls.__dict__.get("__annotations__", {})  # noqa: RUF063 (inspect is what this avoids)
    for name, annotation in own.items():
        if "ClassVar" in str(annotation):
            continue
        if name not in names:
            names.append(name)
        value = cls.__dict__.get(name, _MISSING)
        if isinstance(value, _Field):
            if not value.shown:
                hidden.add(name)
            if value.make is not None:
                delattr(cls, name)  # as dataclasses: a factory default is no class attribute
                defaults[name] = value
                continue
            value = value.default
            if value is _MISSING:
                delattr(cls, name)
            else:
                setattr(cls, name, value)
        if value is not _MISSING:
            defaults[name] = value
        elif defaults:
            raise TypeError(f"non-default field {name!r} follows a default field in {cls.__name__}")
    attributes: dict[str, object] = {
        "__record_fields__": tuple(names),
        "__record_defaults__": defaults,
        "__record_hidden__": frozenset(hidden),
        "__match_args__": tuple(names),
        "__init__": _init,
        "__repr__": _repr,
        "__eq__": _eq,
    }
    if frozen:
        attributes |= {"__setattr__": _refuse, "__delattr__": _refuse, "__hash__": _hash}
    elif "__eq__" not in cls.__dict__:
        attributes["__hash__"] = None
    for name, value in attributes.items():
        if name.startswith("__record") or name == "__match_args__" or name not in cls.__dict__:
            setattr(cls, name, value)  # what the class defines itself stays, as in dataclasses
    return cls


def _init(self: Any, *args: Any, **kwargs: Any) -> None:
    cls = type(self)
    names: tuple[str, ...] = cls.__record_fields__
    if len(args) > len(names):
        raise TypeError(
            f"{cls.__name__}() takes {len(names)} positional arguments but {len(args)} were given"
        )
    values = dict(zip(names, args, strict=False))
    for name, value in kwargs.items():
        if name in values:
            raise TypeError(f"{cls.__name__}() got multiple values for argument {name!r}")
        if name not in names:
            raise TypeError(f"{cls.__name__}() got an unexpected keyword argument {name!r}")
        values[name] = value
    ordered: dict[str, object] = {}  # the fields' order, as ``vars()`` of a dataclass has it
    for name in names:
        value = values.get(name, _MISSING)
        if value is _MISSING:
            value = cls.__record_defaults__.get(name, _MISSING)
            if value is _MISSING:
                raise TypeError(f"{cls.__name__}() missing required argument: {name!r}")
            if isinstance(value, _Field):
                value = value.make()  # type: ignore[misc]
        ordered[name] = value
    # One update of the instance's dict, not a frozen record's refused ``__setattr__`` per field.
    self.__dict__.update(ordered)
    post_init = getattr(self, "__post_init__", None)
    if post_init is not None:
        post_init()


def _values(item: Any) -> tuple[object, ...]:
    return tuple(getattr(item, name) for name in type(item).__record_fields__)


def _repr(self: Any) -> str:
    hidden = type(self).__record_hidden__
    shown = ", ".join(
        f"{name}={getattr(self, name)!r}"
        for name in type(self).__record_fields__
        if name not in hidden
    )
    return f"{type(self).__qualname__}({shown})"


def _eq(self: Any, other: object) -> object:
    if other.__class__ is not self.__class__:
        return NotImplemented
    return _values(self) == _values(other)


def _hash(self: Any) -> int:
    return hash(_values(self))


def _refuse(self: Any, name: str, *value: object) -> None:
    raise FrozenRecordError(f"cannot assign to field {name!r} of a frozen {type(self).__name__}")


__all__ = ["FrozenRecordError", "field", "fields", "mutable_record", "record", "replace"]
