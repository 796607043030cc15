"""Reading kubeadm's YAML mappings field by field: a wrong type fails, a leftover is named.

kubeadm decodes strictly and warns about fields it does not know; we read only a subset, so every
key a reader did not ask for is reported back as ``Kind.path.to.key`` rather than dropped unseen.
Go durations (``8760h0m0s``) are parsed and written here too, since kubeadm's files use them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import timedelta

from bootstrap.kubeadm.configtypes import ExtraArg
from kubeadm_verify.errors import UsageError

# Compiled at first use (re's own cache), not on import: most runs never need it, and the
# node tier's start is timed against kubeadm's.
_DURATION_PART = r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)"
_UNIT_SECONDS = {
    "ns": 1e-9,
    "us": 1e-6,
    "µs": 1e-6,
    "μs": 1e-6,
    "ms": 1e-3,
    "s": 1.0,
    "m": 60.0,
    "h": 3600.0,
}


def describe(value: object) -> str:
    """A YAML-ish name for a value's type, for one-line error messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def parse_duration(text: str, where: str) -> timedelta:
    """Go's ``time.ParseDuration`` for non-negative values: ``24h``, ``1h30m``, ``0``."""
    text = text.strip()
    if text == "0":
        return timedelta(0)
    position, seconds = 0, 0.0
    for match in re.finditer(_DURATION_PART, text):
        if match.start() != position:
            break
        seconds += float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
        position = match.end()
    if position == 0 or position != len(text):
        raise UsageError(f"{where}: {text!r} is not a duration like 24h or 8760h0m0s")
    return timedelta(seconds=seconds)


def format_duration(value: timedelta) -> str:
    """Go's ``Duration.String``: ``8760h0m0s``, ``1m30s``, ``1.5s``, ``500ms``, ``0s``."""
    total = value.total_seconds()
    if total == 0:
        return "0s"
    if total < 1:
        micro = value // timedelta(microseconds=1)
        return f"{micro / 1000:g}ms" if micro >= 1000 else f"{micro}µs"
    hours, rest = divmod(int(total), 3600)
    minutes, whole_seconds = divmod(rest, 60)
    seconds = f"{whole_seconds + (total - int(total)):.9f}".rstrip("0").rstrip(".")
    if hours:
        return f"{hours}h{minutes}m{seconds}s"
    if minutes:
        return f"{minutes}m{seconds}s"
    return f"{seconds}s"


class FieldReader:
    """One file's worth of mappings; remembers them all so leftovers can be listed at the end."""

    def __init__(self) -> None:
        self._opened: list[Fields] = []

    def open(self, data: object, path: str) -> Fields:
        fields = Fields(self, data, path)
        self._opened.append(fields)
        return fields

    def unknown(self) -> list[str]:
        """Every key that no reader asked for, as a dotted path from its document's kind."""
        return [name for fields in self._opened for name in fields.leftovers()]


class Fields:
    """One mapping being read: typed accessors that record which keys were consumed."""

    def __init__(self, reader: FieldReader, data: object, path: str) -> None:
        if data is None:
            data = {}
        if not isinstance(data, dict):
            raise UsageError(f"{path}: expected a mapping, got {describe(data)}")
        self._reader = reader
        self._data: Mapping[object, object] = data
        self._path = path
        self._seen: set[object] = set()

    def where(self, key: str) -> str:
        return f"{self._path}.{key}"

    def skip(self, *keys: str) -> None:
        """Mark keys as read without reading them (a document's ``apiVersion`` and ``kind``)."""
        self._seen.update(keys)

    def has(self, key: str) -> bool:
        return self._data.get(key) is not None

    def _take(self, key: str) -> object:
        self._seen.add(key)
        return self._data.get(key)

    def _wrong(self, key: str, want: str, value: object) -> UsageError:
        return UsageError(f"{self.where(key)}: expected {want}, got {describe(value)}")

    def string(self, key: str, default: str = "") -> str:
        value = self._take(key)
        if value is None:
            return default
        if not isinstance(value, str):
            raise self._wrong(key, "a string", value)
        return value

    def integer(self, key: str, default: int) -> int:
        value = self._take(key)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int):
            raise self._wrong(key, "an integer", value)
        return value

    def boolean(self, key: str, default: bool = False) -> bool:
        value = self._take(key)
        if value is None:
            return default
        if not isinstance(value, bool):
            raise self._wrong(key, "true or false", value)
        return value

    def strings(self, key: str) -> tuple[str, ...]:
        value = self._take(key)
        if value is None:
            return ()
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise self._wrong(key, "a list of strings", value)
        return tuple(value)

    def duration(self, key: str, default: timedelta) -> timedelta:
        text = self.string(key)
        return parse_duration(text, self.where(key)) if text else default

    def child(self, key: str) -> Fields:
        """The mapping under ``key`` (empty when absent), read with the same leftover tracking."""
        return self._reader.open(self._take(key), self.where(key))

    def children(self, key: str) -> list[Fields]:
        """A list of mappings, such as ``bootstrapTokens``."""
        value = self._take(key)
        if value is None:
            return []
        if not isinstance(value, list):
            raise self._wrong(key, "a list", value)
        return self._items(key, value)

    def extra_args(self, key: str) -> tuple[ExtraArg, ...]:
        """v1beta4's list of ``{name, value}`` (names may repeat); kubeadm refuses v1beta3's
        ``{name: value}`` mapping in a v1beta4 file, and so do we."""
        value = self._take(key)
        if value is None:
            return ()
        if not isinstance(value, list):
            raise self._wrong(key, "a list of {name, value} (v1beta4)", value)
        args = []
        for index, item in enumerate(self._items(key, value)):
            arg = ExtraArg(item.string("name"), item.string("value"))
            if not arg.name:
                raise UsageError(f"{self.where(key)}[{index}]: an extra argument needs a name")
            args.append(arg)
        return tuple(args)

    def _items(self, key: str, value: list[object]) -> list[Fields]:
        return [self._reader.open(item, f"{self.where(key)}[{i}]") for i, item in enumerate(value)]

    def leftovers(self) -> list[str]:
        return [self.where(str(key)) for key in self._data if key not in self._seen]
