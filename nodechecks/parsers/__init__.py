"""Parsers: text in, typed facts out. They read nothing themselves, so recorded ``/proc`` and
``/sys`` text can be fed to them directly; anything they cannot make sense of is a ``ParseError``.
"""

from __future__ import annotations


class ParseError(ValueError):
    """The text is not what the file should hold; the check that read it reports ``error``."""

    def __init__(self, source: str, problem: str) -> None:
        super().__init__(f"{source}: {problem}")
        self.source = source
        self.problem = problem


__all__ = ["ParseError"]
