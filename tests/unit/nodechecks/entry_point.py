"""An environment in which pytest finds the node tier's plugin by its ``pytest11`` entry point.

An editable install records entry points when it is made; a checkout whose pyproject gained one
since is given it here the way pip gives it: a ``.dist-info`` with that ``entry_points.txt`` on
the path, read by the same ``importlib.metadata`` lookup pytest does.
"""

from __future__ import annotations

import os
import tomllib
from importlib.metadata import entry_points
from pathlib import Path

PLUGIN = "nodechecks.plugin"
PYPROJECT = Path(__file__).resolve().parents[3] / "pyproject.toml"


def declared() -> str | None:
    """The module pyproject declares for the node plugin's ``pytest11`` entry point."""
    table = tomllib.loads(PYPROJECT.read_text())["project"]["entry-points"]["pytest11"]
    value = table.get(PLUGIN)
    return str(value) if value is not None else None


def env_with_entry_point(folder: Path) -> dict[str, str]:
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    if any(ep.name == PLUGIN for ep in entry_points(group="pytest11")):
        return env
    info = folder / "kvfast_node_plugin-0.dist-info"
    info.mkdir(parents=True, exist_ok=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: kvfast-node-plugin\nVersion: 0\n")
    (info / "entry_points.txt").write_text(f"[pytest11]\n{PLUGIN} = {declared()}\n")
    path = [str(folder), *filter(None, [env.get("PYTHONPATH")])]
    return {**env, "PYTHONPATH": os.pathsep.join(path)}
