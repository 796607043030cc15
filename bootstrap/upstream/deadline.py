"""The downloader's deadline: the core's overall ``Deadline`` over a ``requests`` session, so one
``--download-timeout`` bounds a file's checksums, response headers and body together however
slowly a mirror trickles them (``requests`` alone bounds each read, never the whole)."""

from __future__ import annotations

import requests
from requests.adapters import HTTPAdapter

from kubeadm_verify import deadline as overall
from kubeadm_verify.errors import FetchError

CONNECT_S = 10.0
READ_S = 60.0
"""Per-read timeouts inside the deadline: a silent mirror is found before the deadline."""


class Deadline(overall.Deadline):
    """``seconds`` for everything a download does; ``flag`` names the option in the error."""

    def __init__(self, seconds: float, flag: str = "--download-timeout") -> None:
        super().__init__(seconds)
        self.flag = flag

    def __enter__(self) -> Deadline:
        super().__enter__()
        return self

    def timeouts(self, url: str) -> tuple[float, float]:
        """``requests``' (connect, read) timeouts, never beyond what is left."""
        left = self.remaining()
        if left <= 0:
            raise self.error(url)
        return min(CONNECT_S, left), min(READ_S, left)

    def error(self, url: str) -> FetchError:
        return FetchError(
            f"{url}: the download did not finish within {self.seconds:g}s ({self.flag})"
        )

    def check(self, url: str) -> None:
        if self.expired:
            raise self.error(url)

    def session(self) -> requests.Session:
        """A session whose every connection ends when the deadline does."""
        session = requests.Session()
        session.headers["User-Agent"] = "kubeadm-verify"
        adapter = _WatchedAdapter()
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        return session


class _WatchedAdapter(HTTPAdapter):
    """``requests``' adapter, its pools watched by the deadline entered around each call."""

    def init_poolmanager(self, *args: object, **kwargs: object) -> None:
        super().init_poolmanager(*args, **kwargs)  # type: ignore[arg-type]
        overall.watch_pools(self.poolmanager)
