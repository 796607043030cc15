"""PyYAML's import without its slowest line.

``yaml.reader`` compiles ``Reader.NON_PRINTABLE`` as it is imported: a negated character class
that reaches past the Basic Multilingual Plane, which ``re`` turns into a bitmap of all 65,536
BMP code points in Python code. That one compile measured 10-40 ms here, the largest single
cost of ``kubeadm-verify node --config``, which is timed against kubeadm's own preflight. The
pattern serves only PyYAML's pure-Python reader (libyaml's parser replaces it), yet it is
compiled all the same.

``prepare()`` puts an equivalent pattern in ``re``'s cache under PyYAML's spelling before
``yaml`` is first imported, so PyYAML's ``re.compile`` returns it: the same characters, written
as the ranges PyYAML excludes, which ``re`` compiles in well under a millisecond.
``tests/unit/core/test_yamlprep.py`` checks both against every code point. Where ``re``'s cache
is not what this expects, nothing is done and PyYAML compiles its own.
"""

from __future__ import annotations

import re
import sys

PYYAML_NON_PRINTABLE = "[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
"""``yaml.reader.Reader.NON_PRINTABLE`` as PyYAML spells it (flags: none)."""
EQUIVALENT = "[\x00-\x08\x0b\x0c\x0e-\x1f]|[\x7f-\x84\x86-\x9f]|[\ud800-\udfff\ufffe\uffff]"
"""The characters PyYAML's class leaves out, as classes of at most two runs each above U+00FF
(which ``re`` compiles to ranges, not to a bitmap of the plane)."""


def prepare() -> None:
    """Seed ``re``'s cache before the first ``import yaml``; afterwards it changes nothing."""
    cache = getattr(re, "_cache", None)
    if "yaml" in sys.modules or not isinstance(cache, dict):
        return
    cache.setdefault((str, PYYAML_NON_PRINTABLE, 0), re.compile(EQUIVALENT))


__all__ = ["EQUIVALENT", "PYYAML_NON_PRINTABLE", "prepare"]
