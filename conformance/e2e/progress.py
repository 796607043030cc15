"""Live progress from the suite itself: a listener for e2e.test's ``--progress-report-url``,
and ginkgo's own per-spec marks in the run's log.

The e2e framework POSTs ``{"msg", "total", "completed", "skipped", "failed", "failures"}`` when
the suite starts and ends, and is meant to after each spec. With several ginkgo processes each
one posts its own counters, never consolidated (upstream's reporter says so), so the counts are
rebuilt here from the messages: every ``PASSED <spec>`` / ``FAILED <spec>`` is one finished spec,
and the total is the largest ``total`` seen.

The v1.37 ``e2e.test`` posts only the suite's start (with the total) and its end: no per-spec
post arrives (seen against the real binary, a passed spec leaves ``completed: 0``). So finished
specs are also counted as ginkgo reports them while they finish: one bullet mark per finished
spec in the log, followed by `` [FAILED]``, `` [TIMEDOUT]``, ... for those that did not pass
(skipped specs are ``S``). ``GinkgoLog`` follows the log for those marks; the larger count of
the two sources is the one shown.

The listener binds 127.0.0.1 on a free port, accepts only small JSON objects, and logs nothing.
"""

from __future__ import annotations

import codecs
import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

MAX_BODY = 1 << 20
SPEC_MARK = "\u2022"
NOT_PASSED = re.compile(r" \[(FAILED|TIMEDOUT|PANICKED|INTERRUPTED|ABORTED)\]")
MARK_TAIL = 16
"""Characters after a mark that tell whether its spec passed (`` [INTERRUPTED]`` has 14)."""
FOLLOW_INTERVAL_S = 0.5


class GinkgoLog:
    """Counts ginkgo's finished-spec marks in a log as it grows, fed in chunks of any size."""

    def __init__(self) -> None:
        self.finished = 0
        self.not_passed = 0
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._pending = ""

    def feed(self, data: bytes, final: bool = False) -> None:
        text = self._pending + self._decoder.decode(data, final)
        start = 0
        while (mark := text.find(SPEC_MARK, start)) >= 0:
            tail = text[mark + 1 : mark + 1 + MARK_TAIL]
            if len(tail) < MARK_TAIL and not final:
                self._pending = text[mark:]
                return
            self.finished += 1
            self.not_passed += bool(NOT_PASSED.match(tail))
            start = mark + 1
        self._pending = ""


@dataclass
class Tally:
    """What the posts so far add up to; guarded by its lock (posts arrive on server threads)."""

    total: int = 0
    passed: set[str] = field(default_factory=set)
    failed: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def apply(self, update: dict[str, Any]) -> str | None:
        """Fold one post in; return the name of a spec that just failed, if one did."""
        message = str(update.get("msg", ""))
        total = update.get("total")
        with self.lock:
            if isinstance(total, int) and total > self.total:
                self.total = total
            verdict, _, name = message.partition(" ")
            if verdict == "PASSED" and name:
                self.passed.add(name)
            elif verdict == "FAILED" and name and name not in self.failed:
                self.failed.add(name)
                return name
        return None

    @property
    def completed(self) -> int:
        with self.lock:
            return len(self.passed | self.failed)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, listener: ProgressListener) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.listener = listener


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_POST(self) -> None:
        length = self.headers.get("Content-Length", "")
        if not length.isdigit() or int(length) > MAX_BODY:
            self._answer(413 if length.isdigit() else 411)
            return
        try:
            update = json.loads(self.rfile.read(int(length)))
        except (ValueError, UnicodeDecodeError):
            self._answer(400)
            return
        if not isinstance(update, dict):
            self._answer(400)
            return
        self.server.listener.receive(update)
        self._answer(200)

    def _answer(self, status: int) -> None:
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: the console belongs to the progress bar."""


class ProgressListener:
    """Receives progress posts while a run lasts and draws them as a rich progress bar."""

    def __init__(self, console: Console | None, log: Path | None = None) -> None:
        self.tally = Tally()
        self.ginkgo = GinkgoLog()
        self._log = log
        self._stop = threading.Event()
        self._follower = threading.Thread(target=self._follow, daemon=True)
        self._server = _Server(self)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._bar = _bar(console) if console is not None else None
        self._task = self._bar.add_task("e2e", total=None, failed=0) if self._bar else None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/progress"

    @property
    def completed(self) -> int:
        """Finished specs, by whichever source has counted more."""
        return max(self.tally.completed, self.ginkgo.finished)

    @property
    def failed(self) -> int:
        return max(len(self.tally.failed), self.ginkgo.not_passed)

    def receive(self, update: dict[str, Any]) -> None:
        failed = self.tally.apply(update)
        self._redraw()
        if failed is not None and self._bar is not None:
            self._bar.console.print(f"[bold red]FAILED[/] {escape(failed)}")

    def _redraw(self) -> None:
        if self._bar is None or self._task is None:
            return
        self._bar.update(
            self._task, total=self.tally.total or None, completed=self.completed, failed=self.failed
        )

    def _follow(self) -> None:
        """Read what the log gained, every half second until stopped, then the rest."""
        assert self._log is not None
        offset = 0
        while True:
            stopping = self._stop.wait(FOLLOW_INTERVAL_S)
            try:
                with self._log.open("rb") as handle:
                    handle.seek(offset)
                    data = handle.read()
            except OSError:
                data = b""
            offset += len(data)
            self.ginkgo.feed(data, final=stopping)
            self._redraw()
            if stopping:
                return

    def __enter__(self) -> ProgressListener:
        self._thread.start()
        if self._log is not None:
            self._follower.start()
        if self._bar is not None:
            self._bar.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
        if self._log is not None:
            self._stop.set()
            self._follower.join(timeout=5)
        if self._bar is not None:
            self._bar.stop()


def _bar(console: Console) -> Progress:
    return Progress(
        TextColumn("[bold]e2e specs"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("[red]{task.fields[failed]} failed"),
        TimeElapsedColumn(),
        console=console,
    )
