"""How an option is declared, and the node verb's options: the one table each is read from.

Every verb's options are declared once (the node verb's here, every other verb's in
``kubeadm_verify.verboptions``). From a declaration come argparse's flag
(``kubeadm_verify.cli.parser``), the ``KUBEADM_VERIFY_<OPTION>`` variable that may set it, the
fast path's reading of a plain ``kubeadm-verify node`` command line
(``kubeadm_verify.cli.fastpath``) and, where a tier's pytest plugin takes the same setting, its
``--node-*``/``--kv-*`` option (``Option.prefixed``). They sit in the core, not the CLI, because
those plugins may import the core and nothing above it.

Plain classes and the standard library only: this module is loaded by ``kubeadm-verify node``,
which is timed against kubeadm's own preflight.
"""

from __future__ import annotations

from collections.abc import Callable

ENV_PREFIX = "KUBEADM_VERIFY_"
TRUE_WORDS, FALSE_WORDS = ("1", "true", "yes", "on"), ("", "0", "false", "no", "off")
"""How a ``KUBEADM_VERIFY_*`` variable spells a flag set or unset (empty: unset)."""


VERB_NAMES = ("node", "cluster", "e2e", "up", "down", "upgrade", "join", "phase", "binaries")
"""Every verb, in the order ``--help`` lists them (``kubeadm_verify.verboptions.VERBS``)."""


class UsageFailure(Exception):
    """A command line (or ``KUBEADM_VERIFY_*`` variable) that cannot be used: its one line."""


class Option:
    """One option: ``--name`` with a string value (one of ``choices`` when given; a whole number
    with ``number=True``), a flag (``flag=True``) that takes none, a flag whose value may follow
    it (``alone=``: the value it has when none does), or a positional argument
    (``positional=True``), which no variable sets."""

    __slots__ = (
        "alone",
        "choices",
        "default",
        "flag",
        "help",
        "metavar",
        "name",
        "number",
        "positional",
    )

    def __init__(
        self,
        name: str,
        help: str,
        *,
        default: str | int | bool | None = None,
        choices: tuple[str, ...] = (),
        metavar: str | None = None,
        flag: bool = False,
        number: bool = False,
        positional: bool = False,
        alone: str | None = None,
    ) -> None:
        self.name, self.help, self.choices, self.metavar = name, help, choices, metavar
        self.alone = alone
        self.flag, self.number, self.positional = flag, number, positional
        self.default: str | int | bool | None = False if flag and default is None else default

    @property
    def dest(self) -> str:
        """The attribute the parsed value is stored under, as argparse names it."""
        return self.name.replace("-", "_")

    @property
    def variable(self) -> str:
        """The environment variable that sets this option when the command line does not."""
        return ENV_PREFIX + self.name.upper().replace("-", "_")

    def prefixed(self, prefix: str) -> Option:
        """The same setting under a longer name (``--kv-focus`` for ``--focus``): a pytest
        plugin's options sit beside every other plugin's, so each carries its tier's prefix."""
        return Option(
            prefix + self.name,
            self.help,
            default=self.default,
            choices=self.choices,
            metavar=self.metavar,
            flag=self.flag,
            number=self.number,
            alone=self.alone,
        )

    def add_to(self, add: Callable[..., object]) -> None:
        """Declare this option through ``add``: argparse's ``add_argument`` or pytest's
        ``addoption`` (which hands the same keywords to argparse)."""
        if self.positional:
            add(self.name, metavar=self.metavar, help=self.help)
        elif self.flag:
            add(f"--{self.name}", action="store_true", default=False, help=self.help)
        elif self.alone is not None:
            add(
                f"--{self.name}",
                nargs="?",
                const=self.alone,
                default=self.default,
                metavar=self.metavar,
                help=self.help,
            )
        else:
            add(
                f"--{self.name}",
                default=self.default,
                type=int if self.number else None,
                choices=list(self.choices) or None,
                metavar=self.metavar,
                help=self.help,
            )


def named(options: tuple[Option, ...], *names: str) -> tuple[Option, ...]:
    """The options called ``names``, in that order (a plugin's share of a verb's options)."""
    by_name = {option.name: option for option in options}
    return tuple(by_name[name] for name in names)


OUTPUT_DIR = Option("output-dir", "where reports go (./reports)", default="reports", metavar="DIR")
"""``--output-dir`` of every checking verb (the CLI reads it for a report of a failed start)."""

NODE_OPTIONS = (
    Option("root", "check the host whose / is mounted here (/)", default="/", metavar="DIR"),
    Option(
        "role",
        "the checks of this role (the kubeadm configuration's kind, else control-plane)",
        choices=("control-plane", "worker"),
    ),
    Option(
        "kubernetes-version",
        "the version the node will run (the kubeadm configuration's, else kubeadm's)",
        metavar="vX.Y.Z",
    ),
    Option(
        "ignore-preflight-errors",
        "comma-separated check ids whose errors become warnings, or 'all'",
        metavar="NAMES",
        default="",
    ),
    Option("config", "kubeadm configuration (v1beta4) the node is checked for", metavar="FILE"),
    Option("pull-images", "also pull images (mutates)", flag=True),
    Option(
        "format",
        "what stdout shows: kubeadm's preflight lines, or results.json",
        choices=("text", "json"),
        default="text",
    ),
    Option("list", "list the checks and exit", flag=True),
    OUTPUT_DIR,
)
"""``kubeadm-verify node``'s options, in the order ``--help`` lists them."""

NODE_PLUGIN_OPTIONS = tuple(
    option.prefixed("node-")
    for option in named(
        NODE_OPTIONS,
        "root",
        "role",
        "kubernetes-version",
        "ignore-preflight-errors",
        "config",
        "pull-images",
    )
)
"""``pytest --pyargs nodechecks``'s options (``nodechecks.plugin``): the node verb's settings
under the ``--node-`` prefix (reports and output are pytest's own there)."""

TOP_LEVEL_FLAGS = (Option("debug", "show a failure's traceback, not only its one line", flag=True),)
"""The options before the verb that a variable may set (``--version`` and ``--help`` act at
once and have none)."""


__all__ = [
    "ENV_PREFIX",
    "FALSE_WORDS",
    "NODE_OPTIONS",
    "NODE_PLUGIN_OPTIONS",
    "OUTPUT_DIR",
    "TOP_LEVEL_FLAGS",
    "TRUE_WORDS",
    "VERB_NAMES",
    "Option",
    "UsageFailure",
    "named",
]
