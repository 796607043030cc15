"""The node tier's pytest plugin: its options, and the settings and context its tests share.

It is the ``pytest11`` entry point named after the module, so ``pytest --pyargs nodechecks`` works
from any directory (a conftest would not: pytest reads no conftest of a ``--pyargs`` package before
parsing the command line), and ``-p nodechecks.plugin`` names the same plugin, never a second
copy. pytest loads it in every session on the machine, so it imports only the settings model.
The options are ``kubeadm-verify node``'s own declarations under ``--node-``
(``kubeadm_verify.options.NODE_PLUGIN_OPTIONS``) and go through the same ``node_settings``, so a
pytest run and a CLI run judge the host against the same ``NodeSettings`` object. A caller that
already holds one hands it over through the core runner (``run_tier(..., settings)``, read with
``kubeadm_verify.runner.settings_of``) or in this plugin's stash key, instead of flags.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from kubeadm_verify.nodesettings import NodeSettings
from kubeadm_verify.options import NODE_PLUGIN_OPTIONS

if TYPE_CHECKING:
    from nodechecks.context import NodeContext

SETTINGS_KEY = pytest.StashKey[NodeSettings]()


def pytest_addoption(parser: pytest.Parser) -> None:
    """The node verb's settings as ``--node-*`` options, from its declarations
    (``kubeadm_verify.options``): ``--node-root`` is ``kubeadm-verify node --root``."""
    node = parser.getgroup("kubeadm-verify node", "kubeadm-verify node tier")
    for option in NODE_PLUGIN_OPTIONS:
        option.add_to(node.addoption)


def settings_from_options(config: pytest.Config) -> NodeSettings:
    """The settings the stash holds, else the ones the options give (built once per session)."""
    if SETTINGS_KEY not in config.stash:
        from kubeadm_verify.runner import settings_of

        handed = settings_of(config, NodeSettings)  # from the core runner, as an object
        if handed is not None:
            config.stash[SETTINGS_KEY] = handed
            return handed
        from nodechecks.configure import node_settings

        option = config.getoption
        config.stash[SETTINGS_KEY] = node_settings(
            root=str(option("node_root")),
            role=option("node_role"),
            kubernetes_version=option("node_kubernetes_version"),
            ignore_preflight_errors=str(option("node_ignore_preflight_errors") or ""),
            config=option("node_config"),
            pull_images=bool(option("node_pull_images")),
        )
    return config.stash[SETTINGS_KEY]


def pytest_sessionstart(session: pytest.Session) -> None:
    """Bad input stops a node tier session before collection, as one usage error, not one per
    test. Other sessions (the plugin is loaded in every one) are left alone."""
    from kubeadm_verify.errors import VerifyError

    if not any("nodechecks" in str(arg) for arg in session.config.args):
        return
    try:
        settings_from_options(session.config)
    except VerifyError as exc:
        raise pytest.UsageError(str(exc)) from None


@pytest.fixture(scope="session")
def node_settings(pytestconfig: pytest.Config) -> NodeSettings:
    return settings_from_options(pytestconfig)


@pytest.fixture(scope="session")
def node_context(node_settings: NodeSettings) -> NodeContext:
    from nodechecks.context import NodeContext

    return NodeContext.from_settings(node_settings)


__all__ = [
    "SETTINGS_KEY",
    "node_context",
    "node_settings",
    "pytest_addoption",
    "pytest_sessionstart",
    "settings_from_options",
]
