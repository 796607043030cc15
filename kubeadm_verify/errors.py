"""The small exception hierarchy: every expected failure to start is a ``VerifyError``.

The CLI renders these once, as one line, with exit status 2. Anything else escaping a verb is a
bug and is shown with its traceback only under ``--debug``.
"""


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
