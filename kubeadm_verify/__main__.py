"""Console entry point: the only place that exits the interpreter.

The cyclic garbage collector is off while the command starts: loading the modules allocates
tens of thousands of objects that live as long as the process, and the collector would walk them
again and again for nothing (about a tenth of ``kubeadm-verify node``, which is timed against
kubeadm's own preflight). Verbs that run for long switch it back on as they start
(``kubeadm_verify.cli``); what is left at exit is frozen, so the interpreter's last collection
does not walk it either. Reference counting frees everything else as usual.
"""

import gc
import sys


def run() -> None:
    gc.disable()
    from kubeadm_verify.cli import main  # loaded with the collector off

    status = main(sys.argv[1:])
    gc.freeze()
    sys.exit(status)


if __name__ == "__main__":
    run()
