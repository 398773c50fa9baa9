"""Each sample digest rendered to PNG in headless Chromium, so a person can look at it: bench/out/*.png."""

from __future__ import annotations

import email
import email.policy
import shutil
import subprocess
from pathlib import Path

import pytest
from test_report_render import sample_digest

from watcher.cli import main
from watcher.report import render_html

OUT = Path(__file__).resolve().parents[1] / "bench" / "out"  # gitignored
CHROMIUM = next((p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None)
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no chromium binary on PATH (apt-get install chromium)")


def screenshot(html: str, name: str, tmp_path: Path, height: int = 2000) -> Path:
    """Write ``html`` to a file, have headless Chromium screenshot it to bench/out/<name>.png (900 pixels wide,
    ``height`` tall), return the PNG."""
    assert CHROMIUM is not None
    OUT.mkdir(parents=True, exist_ok=True)
    page = OUT / f"{name}.html"
    page.write_text(html, encoding="utf-8")
    png = OUT / f"{name}.png"
    png.unlink(missing_ok=True)
    subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    f"--user-data-dir={tmp_path / 'chromium'}", f"--screenshot={png}", f"--window-size=900,{height}",
                    page.as_uri()], check=True, capture_output=True, timeout=120)
    data = png.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 20_000  # a page with text on it, not blank
    print(f"digest rendered to {png}")
    return png


def test_sample_digest_png(tmp_path: Path) -> None:
    screenshot(render_html(sample_digest()), "digest-sample", tmp_path)


def test_demo_digest_png(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("WATCHER_OUTBOX", str(tmp_path / "outbox"))
    monkeypatch.delenv("WATCHER_SMTP_URL", raising=False)
    assert main(["demo"]) == 0
    (eml,) = (tmp_path / "outbox").glob("*.eml")
    message = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
    html = message.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert "Stories" in html.title() or "STORIES" in html.upper()
    screenshot(html, "digest-demo", tmp_path, height=7000)  # the whole digest, down to its sources
