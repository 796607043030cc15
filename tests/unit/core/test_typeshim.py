"""The run-time stand-ins for ``typing`` make what ``typing`` makes."""

from __future__ import annotations

import typing
from typing import Any

import pytest

from kubeadm_verify import typeshim as shim

typeshim: Any = shim  # read as the plain classes they are at run time, not as typing's


def _pair(base: Any) -> Any:
    class Mount(base):  # type: ignore[misc]
        """A mount point."""

        path: str
        options: tuple[str, ...] = ()
        LIMIT = 3

        def shown(self) -> str:
            return f"{self.path} ({','.join(self.options)})"

        @property
        def read_only(self) -> bool:
            return "ro" in self.options

    return Mount


@pytest.mark.parametrize("base", [typeshim.NamedTuple, typing.NamedTuple], ids=["shim", "typing"])
def test_a_named_tuple_class_is_what_typing_makes(base: Any) -> None:
    mount = _pair(base)
    item = mount("/var", ("ro", "nosuid"))
    assert item == ("/var", ("ro", "nosuid"))
    path, options = item
    assert (path, options) == ("/var", ("ro", "nosuid"))
    assert mount("/run").options == ()
    assert mount._fields == ("path", "options")
    assert mount._field_defaults == {"options": ()}
    assert mount.__doc__ == "A mount point."
    assert mount.__name__ == "Mount"
    assert mount.__qualname__.endswith("_pair.<locals>.Mount")
    assert mount.__module__ == __name__
    assert list(mount.__annotations__) == ["path", "options"]
    assert repr(item) == "Mount(path='/var', options=('ro', 'nosuid'))"
    assert item.shown() == "/var (ro,nosuid)" and item.read_only
    assert item._replace(path="/") == ("/", ("ro", "nosuid"))
    assert mount.LIMIT == 3
    assert isinstance(item, tuple)
    assert hash(item) == hash(("/var", ("ro", "nosuid")))


@pytest.mark.parametrize("base", [typeshim.NamedTuple, typing.NamedTuple], ids=["shim", "typing"])
def test_what_typing_refuses_is_refused(base: Any) -> None:
    with pytest.raises(TypeError, match=r"[Nn]on-default namedtuple field"):

        class Late(base):  # type: ignore[misc]
            first: int = 0
            second: int

    with pytest.raises(AttributeError, match="overwrite NamedTuple attribute"):

        class Clash(base):  # type: ignore[misc]
            first: int

            def _make(self) -> None:
                return None


def test_the_other_stand_ins_change_nothing() -> None:
    context = typeshim.TypeVar("Context")

    class Registry(typeshim.Generic[context]):  # type: ignore[misc]
        pass

    subscripted: Any = Registry
    assert subscripted[int] is Registry
    assert typeshim.cast(int, "x") == "x"

    def decorated() -> int:
        return 1

    assert typeshim.overload(decorated) is decorated
    assert typeshim.dataclass_transform(frozen_default=True)(decorated) is decorated
