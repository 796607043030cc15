"""Console entry point: the only place that exits the interpreter."""

import sys

from kubeadm_verify.cli import main


def run() -> None:
    sys.exit(main(sys.argv[1:]))


if __name__ == "__main__":
    run()
