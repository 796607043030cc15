"""Our pause program: the process that holds a pod sandbox's namespaces.

Upstream's is a few lines of C; ours is the same behaviour in Go so that it builds static with
the rest: sleep forever, reap any child that is reparented to it (it is PID 1 of the pod when the
PID namespace is shared), and exit 0 on SIGINT or SIGTERM so that a sandbox stops at once.
"""

from __future__ import annotations

PAUSE_GO = """\
// Command pause holds a pod's namespaces: it sleeps, reaps orphans and exits on SIGINT/SIGTERM.
package main

import (
\t"fmt"
\t"os"
\t"os/signal"
\t"syscall"
)

var version = "dev"

func main() {
\tif len(os.Args) > 1 && (os.Args[1] == "-v" || os.Args[1] == "--version") {
\t\tfmt.Printf("pause %s\\n", version)
\t\treturn
\t}
\tsignals := make(chan os.Signal, 4)
\tsignal.Notify(signals, syscall.SIGINT, syscall.SIGTERM, syscall.SIGCHLD)
\tfor sig := range signals {
\t\tif sig != syscall.SIGCHLD {
\t\t\tos.Exit(0)
\t\t}
\t\tfor {
\t\t\tvar status syscall.WaitStatus
\t\t\tpid, err := syscall.Wait4(-1, &status, syscall.WNOHANG, nil)
\t\t\tif pid <= 0 || err != nil {
\t\t\t\tbreak
\t\t\t}
\t\t}
\t}
}
"""

PAUSE_MODULE = "kubeadm-verify.local/pause"
