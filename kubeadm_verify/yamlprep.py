"""PyYAML imported without compiling the patterns it may never use.

PyYAML compiles its patterns as its classes are made: the resolver's implicit types, the
constructor's timestamp, the pure-Python reader's ``NON_PRINTABLE`` (a negated class reaching
past the Basic Multilingual Plane, which ``re`` turns into a bitmap of all 65,536 BMP code points
in Python code: 10-40 ms here on its own). Behind libyaml's parser the reader's pattern is never
used, and each resolver's only for a plain scalar starting with one of its first characters, yet
all are compiled: about 2 ms of ``kubeadm-verify node --config``, which is timed against
kubeadm's own preflight, on top of that one pattern.

``import_yaml()`` imports PyYAML while ``re.compile`` hands out patterns that compile the first
time they are used, and puts ``re.compile`` back as the import ends, however it ends.
``tests/unit/core/test_yamlprep.py`` holds PyYAML's reading of every kind of scalar, and its
refusals, to what they are after a plain ``import yaml``.
"""

from __future__ import annotations

import re
import sys

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing
if TYPE_CHECKING:
    from types import ModuleType

_compile_now = re.compile


class LazyPattern:
    """A pattern compiled by ``re.compile`` the first time any of its attributes is asked for."""

    __slots__ = ("_compiled", "_flags", "_source")

    def __init__(self, source: str | bytes, flags: int) -> None:
        self._source, self._flags = source, flags
        self._compiled: re.Pattern[str] | re.Pattern[bytes] | None = None

    def __getattr__(self, name: str) -> object:
        compiled = self._compiled
        if compiled is None:
            compiled = self._compiled = _compile_now(self._source, self._flags)
        return getattr(compiled, name)


def _compile_later(
    pattern: str | bytes | re.Pattern[str] | re.Pattern[bytes], flags: int = 0
) -> object:
    if isinstance(pattern, re.Pattern):
        return _compile_now(pattern, flags)
    return LazyPattern(pattern, flags)


def import_yaml() -> ModuleType:
    """``yaml``, imported now with its patterns left to their first use (or as it already is)."""
    loaded = sys.modules.get("yaml")
    if loaded is not None:
        return loaded
    re.compile = _compile_later  # type: ignore[assignment]
    try:
        import yaml
    finally:
        re.compile = _compile_now
    return yaml


__all__ = ["LazyPattern", "import_yaml"]
