"""YAML written the way Kubernetes' Go code writes it, so our files read like kubeadm's.

``clientcmd.Write`` and kubeadm's marshalling go through JSON and ``sigs.k8s.io/yaml``: keys come
out sorted, block style, lists flush with their key, strings that need quoting in double quotes,
multi-line strings as literal blocks, and no line folding.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

import yaml
from yaml.representer import BaseRepresenter


def _represent_str(dumper: BaseRepresenter, data: Any) -> yaml.Node:
    style = "|" if "\n" in str(data) else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


class _GoStyleDumper(yaml.SafeDumper):
    """Double quotes where PyYAML would pick single ones, as Go's YAML encoder does."""

    yaml_representers: ClassVar[dict[Any, Callable[[BaseRepresenter, Any], yaml.Node]]] = {
        **yaml.SafeDumper.yaml_representers,
        str: _represent_str,
    }

    def choose_scalar_style(self) -> str:
        style = super().choose_scalar_style()
        return '"' if style == "'" else style


def dump_yaml(value: Any) -> str:
    """One document, keys sorted, as ``sigs.k8s.io/yaml.Marshal`` would write it."""
    return yaml.dump(
        value,
        Dumper=_GoStyleDumper,
        default_flow_style=False,
        sort_keys=True,
        width=2**31 - 1,
        allow_unicode=True,
    )
