"""The deploy/ files, checked without a Docker engine: compose parsed, the unit verified, the image's start run."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from ruamel.yaml import YAML

DEPLOY = Path(__file__).resolve().parents[1] / "deploy"
REPO = DEPLOY.parent


def test_compose_has_watcher_postgres_and_a_web_mailbox() -> None:
    compose = YAML(typ="safe").load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))
    services = compose["services"]
    assert set(services) == {"watcher", "db", "mail"}
    env = services["watcher"]["environment"]
    assert env["WATCHER_DATABASE_URL"].startswith("postgresql+psycopg://") and "@db:" in env["WATCHER_DATABASE_URL"]
    assert env["WATCHER_SMTP_URL"] == "smtp://mail:1025"
    assert services["watcher"]["depends_on"]["db"] == {"condition": "service_healthy"}
    assert "8025:8025" in services["mail"]["ports"]
    assert (REPO / services["watcher"]["build"]["context"].replace("..", ".") / "pyproject.toml").is_file()


def test_dockerfile_is_slim_non_root_and_migrates_at_start() -> None:
    text = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    assert re.search(r"^FROM python:[\d.]+-slim$", text, re.MULTILINE)
    users = re.findall(r"^USER (\S+)$", text, re.MULTILINE)
    assert users and users[-1] not in {"root", "0"}
    assert "watcher db upgrade" in text.splitlines()[-1] and "exec watcher run" in text.splitlines()[-1]
    for copied in re.findall(r"^COPY (.+) \S+$", text, re.MULTILINE):
        for path in copied.split():
            assert (REPO / path).exists(), path
    installs = re.findall(r"pip install ([^&\n]+)", text)
    assert installs and not any(" -e " in f" {i} " or "--editable" in i for i in installs)  # works from any folder


def test_the_images_start_command_runs_here(tmp_path: Path) -> None:
    """The CMD's steps (check, upgrade) with the image's environment, paths moved into tmp_path."""
    env = dict(os.environ, WATCHER_CONFIG=str(REPO / "watchlist.yaml"),
               WATCHER_DATABASE_URL=f"sqlite:///{tmp_path / 'data' / 'watcher.db'}",
               WATCHER_OUTBOX=str(tmp_path / "data" / "outbox"))
    for step in (["check"], ["db", "upgrade"], ["status"]):
        done = subprocess.run([sys.executable, "-m", "watcher", *step], env=env, capture_output=True, text=True,
                              cwd=tmp_path, timeout=120, check=False)
        assert done.returncode == 0, (step, done.stderr)


def test_systemd_unit_is_hardened_and_verifies() -> None:
    text = (DEPLOY / "watcher.service").read_text(encoding="utf-8")
    for setting in ("DynamicUser=yes", "StateDirectory=watcher", "ProtectSystem=strict", "NoNewPrivileges=yes",
                    "EnvironmentFile=-/etc/watcher/watcher.env", "ExecReload=/bin/kill -HUP $MAINPID"):
        assert setting in text
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze is not installed")
    done = subprocess.run(["systemd-analyze", "verify", str(DEPLOY / "watcher.service")], capture_output=True,
                          text=True, timeout=60, check=False)
    # The one complaint expected here: the unit's binary is installed under /opt/watcher on the target host.
    problems = [line for line in (done.stdout + done.stderr).splitlines()
                if line.strip() and "/opt/watcher/bin/watcher" not in line]
    assert problems == []
