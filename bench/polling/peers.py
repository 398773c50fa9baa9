"""The peers on the same feeds: rss2email (mailing a local SMTP sink) and lemon24's reader, each in its own
virtualenv under bench/.venvs/, installed from the package registry the first time."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self

from .measure import Sample, Summary, run_measured
from .server import FeedServer

BENCH = Path(__file__).resolve().parents[1]
VENVS = BENCH / ".venvs"
DRIVER = Path(__file__).resolve().parent / "reader_driver.py"


@dataclass(frozen=True, slots=True)
class Peer:
    """A tool in its own virtualenv."""

    name: str
    requirements: tuple[str, ...]
    distribution: str
    module: str

    @property
    def python(self) -> Path:
        return VENVS / self.name / "bin" / "python"

    @property
    def bin(self) -> Path:
        return VENVS / self.name / "bin"


RSS2EMAIL = Peer("rss2email", ("rss2email",), "rss2email", "rss2email")
# reader 3.26 has search built in (the extra is gone) and vendors a feedparser that imports `sgmllib`, which
# the registry's feedparser no longer pulls in: sgmllib3k provides it.
READER = Peer("reader", ("reader[search]", "sgmllib3k"), "reader", "reader")


def ensure(peer: Peer) -> str:
    """Create the peer's virtualenv and install it when missing; return its installed version."""
    probe = [str(peer.python), "-c",
             f"import {peer.module}, importlib.metadata as m; print(m.version({peer.distribution!r}))"]
    if peer.python.exists():
        found = subprocess.run(probe, check=False, capture_output=True, text=True, timeout=120)
        if found.returncode == 0:
            return found.stdout.strip()
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(VENVS / peer.name)], check=True, timeout=600)
    subprocess.run([str(peer.python), "-m", "pip", "install", "-q", *peer.requirements], check=True, timeout=1200)
    return subprocess.run(probe, capture_output=True, text=True, check=True, timeout=120).stdout.strip()


class SmtpSink:
    """An aiosmtpd server on loopback that counts the messages it is given and keeps nothing."""

    def __init__(self) -> None:
        self.received = 0
        self.port = 0
        self._lock = threading.Lock()
        self._controller: Any = None

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        """Count the message."""
        with self._lock:
            self.received += 1
        return "250 OK"

    def __enter__(self) -> Self:
        from aiosmtpd.controller import Controller

        # aiosmtpd checks its server by connecting to the port it was given, so port 0 will not do.
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = int(probe.getsockname()[1])
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._controller.stop()


def _rss2email_config(path: Path, urls: list[str], smtp_port: int) -> None:
    lines = ["[DEFAULT]", "from = bench@localhost", "to = sink@localhost", "email-protocol = smtp",
             "smtp-server = 127.0.0.1", f"smtp-port = {smtp_port}", "smtp-ssl = False", "smtp-auth = False",
             "verbose = error", ""]
    for i, url in enumerate(urls):
        lines += [f"[feed.bench-{i}]", f"url = {url}", ""]
    path.write_text("\n".join(lines), encoding="utf-8")


def rss2email_cycle(folder: Path, server: FeedServer, sink: SmtpSink, runs: int,
                    new_items: int = 5) -> dict[str, Summary]:
    """`r2e run` cold (a mail per item), warm and after ``new_items`` new items; a fresh data file per run."""
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / "rss2email.cfg"
    _rss2email_config(config, server.urls, sink.port)
    samples: dict[str, list[Sample]] = {"cold": [], "warm": [], f"{new_items} new": []}
    env = dict(os.environ, HOME=str(folder))
    for run in range(runs):
        data = folder / f"rss2email-{run}.json"
        data.unlink(missing_ok=True)
        for kind, kept in samples.items():
            if kind != "cold" and kind != "warm":
                server.bump(new_items)
            before = sink.received
            sample = run_measured([str(RSS2EMAIL.bin / "r2e"), "-c", str(config), "-d", str(data), "run"],
                                  env=env, log=folder / f"r2e-{kind.replace(' ', '')}-{run}.log")
            kept.append(Sample(sample.wall, sample.cpu, sample.rss_mb, sink.received - before, 0))
    return {kind: Summary.of(s) for kind, s in samples.items()}


def reader_cycle(folder: Path, server: FeedServer, names: list[str], runs: int,
                 new_items: int = 5) -> tuple[dict[str, Summary], dict[str, float]]:
    """reader's update_feeds(workers=10) cold, warm and after new items; its search index and queries, once."""
    folder.mkdir(parents=True, exist_ok=True)
    urls, names_file = folder / "urls.txt", folder / "names.txt"
    urls.write_text("\n".join(server.urls), encoding="utf-8")
    names_file.write_text("\n".join(names), encoding="utf-8")
    samples: dict[str, list[Sample]] = {"cold": [], "warm": [], f"{new_items} new": []}
    search: dict[str, float] = {}
    for run in range(runs):
        database = folder / f"reader-{run}.sqlite"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{database}{suffix}").unlink(missing_ok=True)
        entries = 0
        for kind, kept in samples.items():
            if kind != "cold" and kind != "warm":
                server.bump(new_items)
            log = folder / f"reader-{kind.replace(' ', '')}-{run}.log"
            sample = run_measured([str(READER.python), str(DRIVER), "update", str(database), str(urls)],
                                  env=dict(os.environ), log=log)
            result = json.loads(log.read_text().strip().splitlines()[-1])
            kept.append(Sample(sample.wall, sample.cpu, sample.rss_mb, int(result["entries"]) - entries))
            entries = int(result["entries"])
            if kind == "cold" and run == 0:
                search = _search(folder, database, names_file)
    return {kind: Summary.of(s) for kind, s in samples.items()}, search


def _search(folder: Path, database: Path, names_file: Path) -> dict[str, float]:
    # On a copy, so the search triggers do not slow the warm and new-item updates that follow.
    copy = folder / "reader-search.sqlite"
    shutil.copyfile(database, copy)
    log = folder / "reader-search.log"
    sample = run_measured([str(READER.python), str(DRIVER), "search", str(copy), str(names_file)],
                          env=dict(os.environ), log=log)
    result = json.loads(log.read_text().strip().splitlines()[-1])
    return {**result, "wall": sample.wall, "cpu": sample.cpu, "rss_mb": sample.rss_mb}
