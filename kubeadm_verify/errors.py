"""The small exception hierarchy and the exit statuses it maps to.

Every expected failure to start is a ``VerifyError``: the CLI renders it once, as one line, with
``ExitStatus.CANNOT_START``. Anything else escaping a verb is a bug and is shown with its
traceback only under ``--debug``.
"""

import enum


class ExitStatus(enum.IntEnum):
    """What ``kubeadm-verify`` exits with; a pipeline may rely on each."""

    OK = 0
    """every check passed or warned"""
    FAILED = 1
    """at least one check failed or errored"""
    CANNOT_START = 2
    """the run could not start: usage, unreadable input, unreachable cluster, unusable output"""
    INTERRUPTED = 130
    """SIGINT or SIGTERM; whatever the run created was cleaned up"""


class VerifyError(Exception):
    """A run could not start or could not go on: bad input, an unreachable dependency."""


class UsageError(VerifyError):
    """The command line or a configuration file asks for something that cannot be done."""


class InputError(VerifyError):
    """An input the user named (a root, a config file, a kubeconfig) is missing or unreadable."""


class ClusterError(VerifyError):
    """The cluster cannot be reached, or refuses us (TLS, authentication, authorisation)."""


class FetchError(VerifyError):
    """A download failed, or what was downloaded does not match its published checksum."""


class BootstrapError(VerifyError):
    """A bootstrap phase failed; the message names the phase and the cause."""


class Interrupted(VerifyError):
    """SIGINT or SIGTERM arrived; whatever had been created was cleaned up."""


class ReportedInterrupt(KeyboardInterrupt):
    """An interrupt whose partial results are already in the reports: leave them as they are."""
