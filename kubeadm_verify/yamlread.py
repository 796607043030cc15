"""The one YAML reader: every YAML document the tool reads goes through here, bounded at the door.

Kubeconfigs, kubeadm configuration files, a host's kubelet configuration under ``--root``,
ConfigMaps read back from a cluster and upstream's ``conformance.yaml`` are all inputs someone
else wrote. PyYAML's safe loader constructs no objects it should not, but it bounds nothing:

* size: refused before parsing when the text is larger than ``max_bytes``;
* alias expansion ("billion laughs"): PyYAML shares an aliased node, so loading is cheap, but
  whatever walks the result afterwards (a merge, a copy, ``str()``, a message) sees the full
  expansion. Each document is measured as its expansion while it is composed, and refused
  past ``max_nodes``; an alias inside its own anchor (an endless expansion) is refused too;
* nesting: refused past ``max_depth`` levels, before the composer's recursion can run out of
  stack (libyaml's own composer segfaults on a hundred thousand ``[``).

Refusals are :class:`YAMLRefused`, a ``yaml.YAMLError`` with ``problem`` and ``problem_mark`` as
PyYAML's own errors have, so a caller catching ``yaml.YAMLError`` catches them as well.

libyaml scans and parses when it is installed (ten times faster than the pure-Python parser on
upstream's 250 KB ``conformance.yaml``); the composer is always PyYAML's Python one, because
that is where the bounds are counted.
"""

from __future__ import annotations

import os
import stat

import yaml
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.events import AliasEvent, CollectionStartEvent, NodeEvent
from yaml.nodes import MappingNode, Node, SequenceNode
from yaml.resolver import Resolver

from kubeadm_verify.filekind import file_kind

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any

MAX_BYTES = 4 * 1024 * 1024
"""Far above any kubeconfig or kubeadm configuration (a kubeconfig of 100 clusters with embedded
certificates is about 1 MiB)."""
MAX_NODES = 200_000
"""Nodes per document with every alias expanded; ``conformance.yaml`` has about 5 000."""
MAX_DEPTH = 100
"""Nesting levels; Kubernetes objects nest about 15 deep."""
YAMLError = yaml.YAMLError
"""What a caller catches: PyYAML's syntax errors and this reader's refusals alike."""

try:
    from yaml._yaml import CParser as _Parser
except ImportError:  # PyYAML built without libyaml: its pure-Python parser (whose own composer
    # the bounded one below overrides)
    from yaml.loader import SafeLoader as _Parser  # type: ignore[assignment]


class YAMLRefused(yaml.YAMLError):
    """A YAML input refused for its size, its alias expansion or its nesting, not its syntax."""

    def __init__(self, problem: str, mark: Any = None) -> None:
        super().__init__(problem)
        self.problem = problem
        self.problem_mark = mark

    def __str__(self) -> str:
        if self.problem_mark is None:
            return self.problem
        return f"{self.problem} (line {self.problem_mark.line + 1})"


class UnreadableFile(OSError):
    """A YAML file that is not read: not a regular file, or larger than the cap."""


class _BoundedComposer(Composer):
    """PyYAML's composer, counting each node's expanded size as it completes."""

    def __init__(self, max_nodes: int, max_depth: int) -> None:
        super().__init__()
        self._max_nodes = max_nodes
        self._max_depth = max_depth
        self._depth = 0
        self._expanded: dict[int, int] = {}
        self._open_anchors: set[str] = set()

    def compose_document(self) -> Node | None:
        self._expanded = {}
        return super().compose_document()

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        event = self.peek_event()  # type: ignore[attr-defined]
        if isinstance(event, AliasEvent):
            if event.anchor in self._open_anchors:
                raise YAMLRefused(
                    f"the alias *{event.anchor} is inside its own anchor, an endless expansion",
                    event.start_mark,
                )
            return super().compose_node(parent, index)
        anchor = event.anchor if isinstance(event, NodeEvent) else None
        self._depth += 1
        if self._depth > self._max_depth and isinstance(event, CollectionStartEvent):
            raise YAMLRefused(f"nested deeper than {self._max_depth} levels", event.start_mark)
        if anchor is not None:
            self._open_anchors.add(anchor)
        try:
            node = super().compose_node(parent, index)
        finally:
            self._depth -= 1
            if anchor is not None:
                self._open_anchors.discard(anchor)
        if node is not None:
            self._measure(node)
        return node

    def _measure(self, node: Node) -> None:
        children: list[Node] = []
        if isinstance(node, SequenceNode):
            children = list(node.value)
        elif isinstance(node, MappingNode):
            children = [part for pair in node.value for part in pair]
        size = 1 + sum(self._expanded.get(id(child), 1) for child in children)
        if size > self._max_nodes:
            raise YAMLRefused(
                f"more than {self._max_nodes} nodes once its aliases are expanded", node.start_mark
            )
        self._expanded[id(node)] = size


class _Loader(_Parser, _BoundedComposer, SafeConstructor, Resolver):
    """libyaml's (or PyYAML's) parser, the bounded composer, the safe constructor."""

    def __init__(self, text: str, max_nodes: int, max_depth: int) -> None:
        _Parser.__init__(self, text)
        _BoundedComposer.__init__(self, max_nodes, max_depth)
        SafeConstructor.__init__(self)
        Resolver.__init__(self)

    # CParser has its own (unbounded) composer; these are the Python composer's.
    check_node = Composer.check_node
    get_node = Composer.get_node
    get_single_node = Composer.get_single_node


def _loader(text: str, max_bytes: int, max_nodes: int, max_depth: int) -> _Loader:
    if not isinstance(text, str):
        raise TypeError("yamlread takes text; decode bytes first")
    if len(text) > max_bytes:
        raise YAMLRefused(f"larger than {max_bytes // 1024} KiB")
    return _Loader(text, max_nodes, max_depth)


def load(
    text: str, *, max_bytes: int = MAX_BYTES, max_nodes: int = MAX_NODES, max_depth: int = MAX_DEPTH
) -> Any:
    """The one document in ``text`` (``None`` when empty), as ``yaml.safe_load``, bounded."""
    loader = _loader(text, max_bytes, max_nodes, max_depth)
    try:
        return loader.get_single_data()
    except RecursionError as error:
        raise YAMLRefused("nested too deep") from error
    finally:
        loader.dispose()


def load_all(
    text: str, *, max_bytes: int = MAX_BYTES, max_nodes: int = MAX_NODES, max_depth: int = MAX_DEPTH
) -> list[Any]:
    """Every document in ``text``, as ``list(yaml.safe_load_all(text))``, bounded; the node
    bound holds for each document."""
    loader = _loader(text, max_bytes, max_nodes, max_depth)
    documents: list[Any] = []
    try:
        while loader.check_node():
            documents.append(loader.construct_document(loader.get_node()))
    except RecursionError as error:
        raise YAMLRefused("nested too deep") from error
    finally:
        loader.dispose()
    return documents


def read_text(path: Path | str, max_bytes: int = MAX_BYTES) -> str:
    """A YAML file's text: a regular file of at most ``max_bytes``, opened without blocking (a
    FIFO never hangs the reader, ``/dev/zero`` never fills memory), checked before it is read.

    Raises ``OSError`` (``UnreadableFile`` for what is refused) whose ``strerror`` says why.
    """
    descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    with os.fdopen(descriptor, "rb") as handle:
        mode = os.fstat(descriptor).st_mode
        if not stat.S_ISREG(mode):
            raise UnreadableFile(0, f"{file_kind(mode)}, not a regular file")
        data = handle.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise UnreadableFile(0, f"larger than {max_bytes // 1024} KiB")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise UnreadableFile(0, "not UTF-8 text") from None
