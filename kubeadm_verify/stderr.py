"""Progress lines on stderr, each written whole.

``print`` writes a line's text and its newline in two calls; an interrupt between them would
leave the line open, and the CLI's one last line ("kubeadm-verify: interrupted") would be glued
onto it, where a pipeline reading stderr line by line would not find it.
"""

from __future__ import annotations

import sys


def line(text: str) -> None:
    """Write ``text`` and its newline in one call, then flush."""
    sys.stderr.write(f"{text}\n")
    sys.stderr.flush()
