"""PyYAML's import with a seeded pattern: the same characters refused, every code point checked."""

from __future__ import annotations

import re
import subprocess
import sys

from kubeadm_verify.yamlprep import EQUIVALENT, PYYAML_NON_PRINTABLE

EVERY_CODE_POINT = "".join(map(chr, range(0x110000)))


def test_the_seeded_pattern_matches_exactly_what_pyyamls_does() -> None:
    theirs, ours = re.compile(PYYAML_NON_PRINTABLE), re.compile(EQUIVALENT)
    assert ours.findall(EVERY_CODE_POINT) == theirs.findall(EVERY_CODE_POINT)
    assert theirs.findall(EVERY_CODE_POINT)  # the check can fail: some characters are refused


def test_pyyaml_takes_the_seeded_pattern_and_still_refuses_what_it_did() -> None:
    code = (
        "from kubeadm_verify import yamlprep\n"
        "yamlprep.prepare()\n"
        "import yaml, yaml.reader\n"
        "print(yaml.reader.Reader.NON_PRINTABLE.pattern == yamlprep.EQUIVALENT)\n"
        "try:\n"
        "    yaml.load('a: \\x07', Loader=yaml.SafeLoader)\n"
        "except yaml.reader.ReaderError as error:\n"
        "    print('refused', '#x0007' in str(error))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.split() == ["True", "refused", "True"], done.stderr


def test_pyyamls_own_spelling_is_the_one_seeded() -> None:
    """If PyYAML changes its pattern, the seed no longer applies: this says so."""
    code = "import yaml.reader\nprint(repr(yaml.reader.Reader.NON_PRINTABLE.pattern))\n"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == repr(PYYAML_NON_PRINTABLE)
