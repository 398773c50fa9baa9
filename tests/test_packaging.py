"""watcher installs like any Python tool: the wheel carries the migrations, and an installed watcher migrates,
polls and runs its demo from an empty folder."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def test_every_package_of_the_tree_is_in_the_wheel_list() -> None:
    listed = set(tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]["packages"])
    tree = {".".join(p.parent.relative_to(REPO).parts) for p in (REPO / "watcher").rglob("__init__.py")}
    assert tree <= listed, f"add to [tool.setuptools] packages in pyproject.toml: {sorted(tree - listed)}"
    assert {"watcher.migrations", "watcher.migrations.versions"} <= listed


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel built from this checkout, installed (without its dependencies, which this venv has) into a
    folder of its own: no editable install, no checkout beside it."""
    build = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", str(build), str(REPO)],
                   check=True, capture_output=True, timeout=600)
    [wheel] = build.glob("watcher-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    versions = {p.name for p in (REPO / "alembic" / "versions").glob("*.py")}
    assert {f"watcher/migrations/versions/{v}" for v in versions} <= names
    assert {"watcher/migrations/env.py", "watcher/migrations/script.py.mako", "watcher/templates/digest.html.j2",
            "watcher/demo_data/demo-watchlist.yaml", "watcher/match/names/ru.txt", "watcher/match/names/hy.txt",
            "watcher/match/names/az.txt", "watcher/match/names/forms.txt", "watcher/match/names/not_names.txt"} <= names
    target = tmp_path_factory.mktemp("site")
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target), str(wheel)],
                   check=True, capture_output=True, timeout=600)
    return target


def run(target: Path, folder: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(target), WATCHER_DATABASE_URL=f"sqlite:///{folder / 'w.db'}",
               WATCHER_OUTBOX=str(folder / "outbox"), WATCHER_CONFIG=str(folder / "watchlist.yaml"))
    return subprocess.run([sys.executable, "-m", "watcher", *argv], env=env, cwd=folder, capture_output=True,
                          text=True, timeout=300)


def test_an_installed_watcher_upgrades_demos_and_polls_from_an_empty_folder(installed: Path, tmp_path: Path) -> None:
    where = subprocess.run([sys.executable, "-c", "import watcher; print(watcher.__file__)"], capture_output=True,
                           text=True, env=dict(os.environ, PYTHONPATH=str(installed)), cwd=tmp_path, check=True)
    assert where.stdout.strip().startswith(str(installed))  # the installed copy, not this checkout
    upgraded = run(installed, tmp_path, "db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr
    demo = run(installed, tmp_path, "demo")
    assert demo.returncode == 0, demo.stderr
    assert list((tmp_path / "outbox").glob("*.eml"))
    (tmp_path / "watchlist.yaml").write_text("sources:\n  - {name: nowhere, url: 'http://127.0.0.1:9/f.xml'}\n",
                                             encoding="utf-8")
    polled = run(installed, tmp_path, "poll")
    assert "polled 1 sources" in polled.stdout, polled.stderr
