"""Console entry point: the only place that exits the interpreter.

The cyclic garbage collector is off while the command starts: loading the modules allocates
tens of thousands of objects that live as long as the process, and the collector would walk them
again and again for nothing (about a tenth of ``kubeadm-verify node``, which is timed against
kubeadm's own preflight). Verbs that run for long switch it back on as they start
(``kubeadm_verify.cli``); what is left at exit is frozen, so the interpreter's last collection
does not walk it either. Reference counting frees everything else as usual.

The node verb ends without the interpreter's finalisation: by then its reports are written,
renamed into place and closed, and it starts no process and registers no exit handler, so
tearing down every module it loaded (a few percent of its run) would only free memory the
process is about to give back whole.
"""

import gc
import os
import sys


def run() -> None:
    gc.disable()
    from kubeadm_verify.cli import main, verb_of  # loaded with the collector off

    argv = sys.argv[1:]
    status = main(argv)
    if verb_of(argv) == "node":
        try:
            for stream in (sys.stdout, sys.stderr):
                if stream is not None:  # started with the descriptor closed
                    stream.flush()
        except (OSError, ValueError):
            sys.exit(status)  # a closed or broken stream: the interpreter reports it as usual
        os._exit(status)
    gc.freeze()
    sys.exit(status)


if __name__ == "__main__":
    run()
