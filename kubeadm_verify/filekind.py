"""What a file that is not a regular file is, in words, for the one-line refusals of the readers
that take regular files only (the node tier's ``Host``, the YAML reader's ``read_text``)."""

from __future__ import annotations

import stat

_KINDS = (
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISDIR, "a directory"),
)


def file_kind(mode: int) -> str:
    """``"a FIFO"``, ``"a socket"``, ... for ``st_mode``; ``"a special file"`` for the rest."""
    return next((name for test, name in _KINDS if test(mode)), "a special file")
