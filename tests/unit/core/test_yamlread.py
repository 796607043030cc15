"""The one YAML reader: its bounds, and a scan that fails if a second reader appears."""

from __future__ import annotations

import ast
import os
import time
from pathlib import Path

import pytest
import yaml

from kubeadm_verify import yamlread

REPO = Path(__file__).resolve().parents[3]
PACKAGES = ("kubeadm_verify", "nodechecks", "conformance", "bootstrap")
LOADING = {
    "load",
    "safe_load",
    "load_all",
    "safe_load_all",
    "full_load",
    "full_load_all",
    "unsafe_load",
    "unsafe_load_all",
    "compose",
    "compose_all",
    "parse",
    "scan",
    "Loader",
    "SafeLoader",
    "CSafeLoader",
    "CLoader",
    "FullLoader",
    "UnsafeLoader",
    "BaseLoader",
    "CBaseLoader",
    "CParser",
    "Composer",
}


def laughs(levels: int = 9, width: int = 9) -> str:
    """The "billion laughs": each level an anchor holding ``width`` aliases of the level below."""
    lines = ["a0: &a0 [" + ", ".join(["lol"] * width) + "]"]
    lines += [
        f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * width) + "]" for i in range(1, levels + 1)
    ]
    return "\n".join(lines) + "\n"


def test_a_billion_laughs_is_refused_quickly() -> None:
    started = time.monotonic()
    with pytest.raises(yamlread.YAMLRefused, match="once its aliases are expanded"):
        yamlread.load(laughs())
    assert time.monotonic() - started < 1.0


def test_aliases_below_the_bound_load_as_pyyaml_loads_them() -> None:
    text = laughs(levels=3, width=3)
    assert yamlread.load(text) == yaml.safe_load(text)
    with pytest.raises(yamlread.YAMLRefused):
        yamlread.load(text, max_nodes=30)


def test_a_merge_key_counts_its_expansion() -> None:
    text = "base: &b {a: 1, b: 2}\nx: {<<: *b, c: 3}\n"
    assert yamlread.load(text)["x"] == {"a": 1, "b": 2, "c": 3}
    with pytest.raises(yamlread.YAMLRefused):
        yamlread.load(text, max_nodes=10)


def test_an_alias_inside_its_own_anchor_is_refused() -> None:
    with pytest.raises(yamlread.YAMLRefused, match="inside its own anchor"):
        yamlread.load("&a [1, *a]")
    with pytest.raises(yamlread.YAMLRefused, match="inside its own anchor"):
        yamlread.load("&m {k: *m}")


@pytest.mark.parametrize("depth", [101, 200_000])
def test_deep_nesting_is_refused_not_a_crash(depth: int) -> None:
    """libyaml's own composer segfaults at this depth; PyYAML's raises RecursionError."""
    with pytest.raises(yamlread.YAMLRefused, match="nested deeper than 100"):
        yamlread.load("[" * depth + "]" * depth)
    assert yamlread.load("[" * 100 + "]" * 100) is not None


def test_a_large_text_is_refused_before_parsing() -> None:
    with pytest.raises(yamlread.YAMLRefused, match="larger than 1 KiB"):
        yamlread.load("a: " + "x" * 2000, max_bytes=1024)


def test_refusals_and_syntax_errors_are_yaml_errors() -> None:
    for text in ("&a [*a]", "a: [", "a: *missing"):
        with pytest.raises(yaml.YAMLError):
            yamlread.load(text)
    assert issubclass(yamlread.YAMLRefused, yamlread.YAMLError)


def test_documents_are_read_as_safe_load_reads_them() -> None:
    text = "a: 1\n---\n- x\n- 2020-01-01\n---\n"
    assert yamlread.load_all(text) == list(yaml.safe_load_all(text))
    assert yamlread.load("") is None
    with pytest.raises(yaml.YAMLError, match="single document"):
        yamlread.load("a: 1\n---\nb: 2\n")
    with pytest.raises(yaml.constructor.ConstructorError):
        yamlread.load("!!python/object/apply:os.system ['true']")


def test_each_document_has_its_own_bound() -> None:
    one = "[" + ", ".join(["x"] * 50) + "]"
    assert len(yamlread.load_all(f"{one}\n---\n{one}\n", max_nodes=60)) == 2


def test_read_text_refuses_what_is_not_a_small_regular_file(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(yamlread.UnreadableFile, match="a FIFO, not a regular file"):
        yamlread.read_text(fifo)
    big = tmp_path / "big"
    big.write_text("x" * 2048)
    with pytest.raises(yamlread.UnreadableFile, match="larger than 1 KiB"):
        yamlread.read_text(big, max_bytes=1024)
    with pytest.raises(yamlread.UnreadableFile, match="a character device"):
        yamlread.read_text("/dev/zero")
    small = tmp_path / "small"
    small.write_text("a: 1\n")
    assert yamlread.read_text(small) == "a: 1\n"


def _second_readers(source: str) -> list[str]:
    """Every place ``source`` loads YAML itself: a loader function, class or parser of PyYAML."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if (
            isinstance(node, ast.Attribute)
            and node.attr in LOADING
            and isinstance(node.value, ast.Name)
            and node.value.id == "yaml"
        ):
            found.append(f"line {node.lineno}: yaml.{node.attr}")
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("yaml"):
            names = [
                alias.name
                for alias in node.names
                if alias.name in LOADING
                or node.module
                in ("yaml.loader", "yaml.cyaml", "yaml._yaml", "yaml.composer", "yaml.parser")
            ]
            found += [f"line {node.lineno}: from {node.module} import {n}" for n in names]
    return found


def test_no_module_but_the_reader_loads_yaml() -> None:
    offenders = {}
    for package in PACKAGES:
        for path in sorted((REPO / package).rglob("*.py")):
            if path == REPO / "kubeadm_verify" / "yamlread.py":
                continue
            found = _second_readers(path.read_text(encoding="utf-8"))
            if found:
                offenders[str(path.relative_to(REPO))] = found
    assert offenders == {}, f"YAML read outside kubeadm_verify.yamlread: {offenders}"


def test_the_scan_finds_a_second_reader() -> None:
    assert _second_readers("import yaml\nx = yaml.safe_load('a: 1')\n")
    assert _second_readers("from yaml import load_all\n")
    assert _second_readers("from yaml.cyaml import CParser\n")
    assert _second_readers("import yaml\nx = yaml.load('a', Loader=yaml.CSafeLoader)\n")
    assert not _second_readers("import yaml\nx = yaml.safe_dump({})\n")
    assert _second_readers((REPO / "kubeadm_verify" / "yamlread.py").read_text())
