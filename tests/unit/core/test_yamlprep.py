"""PyYAML imported with its patterns left to their first use reads and refuses what it did."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

EVERY_KIND_OF_SCALAR = """\
bools: [yes, No, TRUE, off, On, n, y]
ints: [0, -17, +42, 0b1010, 0o17, 017, 0x1F, 1_000, 190:20:30, 08]
floats: [1.5, -.5, 1e3, 6.8523015e+5, .inf, -.INF, .NaN, 190:20:30.15, 1_000.5]
nulls: [~, null, Null, NULL, '', ]
stamps: [2001-12-14, 2001-12-14t21:59:43.10-05:00, 2001-12-14 21:59:43.10 -5, 2002-1-1]
merge: {<<: {a: 1}, b: 2}
strings: [v1.37.2, kubeadm.k8s.io/v1beta4, 10.96.0.0/12, '1', "yes", 2001-13-99x]
"""

READ_IT = (
    "import json, sys, yaml\n"
    "for loader in (yaml.SafeLoader, getattr(yaml, 'CSafeLoader', yaml.SafeLoader)):\n"
    "    print(json.dumps(yaml.load(sys.stdin.read() if loader is yaml.SafeLoader else DOC,\n"
    "                               Loader=loader), default=str, sort_keys=True))\n"
)


def _read(prelude: str) -> list[dict[str, object]]:
    code = f"{prelude}\nDOC = {EVERY_KIND_OF_SCALAR!r}\n{READ_IT}"
    done = subprocess.run(
        [sys.executable, "-c", code],
        input=EVERY_KIND_OF_SCALAR,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return [json.loads(line) for line in done.stdout.splitlines()]


def test_every_kind_of_scalar_reads_as_after_a_plain_import() -> None:
    plain = _read("")
    lazy = _read("from kubeadm_verify import yamlprep\nyamlprep.import_yaml()")
    assert lazy == plain
    assert plain[0]["bools"] == [True, False, True, False, True, "n", "y"]  # resolvers ran
    assert plain[0]["merge"] == {"a": 1, "b": 2}


def test_the_patterns_wait_for_their_first_use_and_re_compile_is_put_back() -> None:
    code = (
        "import re\n"
        "before = re.compile\n"
        "from kubeadm_verify import yamlprep\n"
        "yamlprep.import_yaml()\n"
        "import yaml.reader\n"
        "reader = yaml.reader.Reader.NON_PRINTABLE\n"
        "print(re.compile is before, type(reader).__name__, reader._compiled is None)\n"
        "try:\n"
        "    yaml.load('a: \\x07', Loader=yaml.SafeLoader)\n"  # the pure-Python reader uses it
        "except yaml.reader.ReaderError as error:\n"
        "    print('refused', '#x0007' in str(error), reader._compiled is not None)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.split() == ["True", "LazyPattern", "True", "refused", "True", "True"], (
        done.stderr
    )


def test_a_failed_import_puts_re_compile_back(monkeypatch: pytest.MonkeyPatch) -> None:
    from kubeadm_verify import yamlprep

    monkeypatch.setitem(sys.modules, "yaml", None)  # ``import yaml`` now raises ImportError
    with pytest.raises(ImportError):
        yamlprep.import_yaml()
    assert re.compile is yamlprep._compile_now
