"""The node verb's options, declared once: argparse's flags (``kubeadm_verify.cli.parser``) and
the fast path's reading of the same command line (``kubeadm_verify.cli.fastpath``) both come
from this table, as do the ``KUBEADM_VERIFY_<OPTION>`` variables that may set each of them.

Plain classes and the standard library only: this module is loaded by ``kubeadm-verify node``,
which is timed against kubeadm's own preflight.
"""

from __future__ import annotations

ENV_PREFIX = "KUBEADM_VERIFY_"
TRUE_WORDS, FALSE_WORDS = ("1", "true", "yes", "on"), ("", "0", "false", "no", "off")
"""How a ``KUBEADM_VERIFY_*`` variable spells a flag set or unset (empty: unset)."""


VERB_NAMES = ("node", "cluster", "e2e", "up", "down", "join", "phase", "binaries")
"""Every verb, in the order ``--help`` lists them (``kubeadm_verify.cli.parser.VERBS``)."""


class UsageFailure(Exception):
    """A command line (or ``KUBEADM_VERIFY_*`` variable) that cannot be used: its one line."""


class Option:
    """One long option: ``--name`` with a string value (one of ``choices`` when given), or a
    flag (``flag=True``) that takes none."""

    __slots__ = ("choices", "default", "flag", "help", "metavar", "name")

    def __init__(
        self,
        name: str,
        help: str,
        *,
        default: str | bool | None = None,
        choices: tuple[str, ...] = (),
        metavar: str | None = None,
        flag: bool = False,
    ) -> None:
        self.name, self.help, self.choices, self.metavar, self.flag = (
            name,
            help,
            choices,
            metavar,
            flag,
        )
        self.default: str | bool | None = False if flag and default is None else default

    @property
    def dest(self) -> str:
        """The attribute the parsed value is stored under, as argparse names it."""
        return self.name.replace("-", "_")

    @property
    def variable(self) -> str:
        """The environment variable that sets this option when the command line does not."""
        return ENV_PREFIX + self.name.upper().replace("-", "_")


NODE_OPTIONS = (
    Option("root", "check the host whose / is mounted here", default="/"),
    Option(
        "role",
        "the checks of this role (control-plane, or the --config's kind)",
        choices=("control-plane", "worker"),
    ),
    Option(
        "kubernetes-version",
        "the version the node will run (the --config's, else kubeadm's)",
        metavar="vX.Y.Z",
    ),
    Option(
        "ignore-preflight-errors",
        "comma-separated check ids whose errors become warnings, or 'all'",
        metavar="NAMES",
        default="",
    ),
    Option("config", "kubeadm configuration (v1beta4)", metavar="FILE"),
    Option("pull-images", "also pull images (mutates)", flag=True),
    Option(
        "format",
        "what stdout shows: kubeadm's preflight lines, or results.json",
        choices=("text", "json"),
        default="text",
    ),
    Option("list", "list the checks and exit", flag=True),
    Option("output-dir", "where reports go (./reports)", default="reports"),
)
"""``kubeadm-verify node``'s options, in the order ``--help`` lists them."""

TOP_LEVEL_FLAGS = (Option("debug", "show tracebacks", flag=True),)
"""The options before the verb that a variable may set (``--version`` and ``--help`` act at
once and have none)."""


__all__ = [
    "ENV_PREFIX",
    "FALSE_WORDS",
    "NODE_OPTIONS",
    "TOP_LEVEL_FLAGS",
    "TRUE_WORDS",
    "VERB_NAMES",
    "Option",
    "UsageFailure",
]
