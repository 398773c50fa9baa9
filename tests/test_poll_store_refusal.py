"""Nothing is lost when PostgreSQL refuses one source's items: the others' are stored, through a real poll by the
command and by the service, and the refused source is recorded as failing (so `watcher sources` says so)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from test_store_fixtures import _postgres_schema_url

from watcher.cli import main
from watcher.config import load_watchlist
from watcher.feedserver import serve_folder
from watcher.service.runner import Service
from watcher.settings import Settings
from watcher.store import Store, upgrade

pytestmark = pytest.mark.postgres

FEED = """<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{name}</title>
<item><title>{title}</title><link>http://example.org/{name}/1</link></item>
<item><title>{name}: weather in Yerevan</title><link>http://example.org/{name}/2</link></item>
</channel></rss>"""
# The database itself refuses these items, as it refuses a value it cannot store (a NUL, a value too long...):
# a trigger makes the refusal certain whatever the parser cleans up first.
REFUSE = """
CREATE FUNCTION refuse_poison() RETURNS trigger AS $$
BEGIN
  IF NEW.title LIKE '%POISON%' THEN RAISE EXCEPTION 'value refused: %', NEW.title; END IF;
  RETURN NEW;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER refuse_poison BEFORE INSERT ON items FOR EACH ROW EXECUTE FUNCTION refuse_poison();
"""


@pytest.fixture
def refusing_url(postgres_url: str) -> Iterator[str]:
    """A fresh schema at the newest revision whose items table refuses titles containing POISON."""
    schema = _postgres_schema_url(postgres_url)
    url = next(schema)
    upgrade(url)
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text(REFUSE))
    engine.dispose()
    yield url
    schema.close()


def feeds(tmp_path: Path) -> Path:
    folder = tmp_path / "feeds"
    folder.mkdir()
    titles = {"alpha": "Pashinyan in Gyumri", "bad": "POISON Pashinyan in Meghri", "gamma": "Pashinyan in Goris"}
    for name, title in titles.items():
        (folder / f"{name}.xml").write_text(FEED.format(name=name, title=title), encoding="utf-8")
    return folder


def write_config(path: Path, base: str) -> None:
    sources = "".join(f"  - {{name: {n}, url: '{base}/{n}.xml'}}\n" for n in ("alpha", "bad", "gamma"))
    path.write_text(f"defaults: {{every: 1s}}\nsources:\n{sources}actors:\n  - {{id: pashinyan, name: Nikol Pashinyan}}\n",
                    encoding="utf-8")


def stored(url: str) -> dict[str, tuple[int, int, str | None]]:
    """(items, consecutive failures, last error) per source."""
    with Store.open(url) as store:
        return {h.name: (h.total_items, h.consecutive_failures, h.last_error) for h in store.source_health()}


def test_a_source_the_database_refuses_loses_no_other_source_in_a_poll(
        refusing_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "watchlist.yaml"
    monkeypatch.setenv("WATCHER_DATABASE_URL", refusing_url)
    monkeypatch.setenv("WATCHER_CONFIG", str(config))
    with serve_folder(feeds(tmp_path)) as base:
        write_config(config, base)
        main(["poll"])
        out = capsys.readouterr().out
    assert "alpha: 2 new of 2 items" in out and "gamma: 2 new of 2 items" in out, out
    assert "bad: error: not stored" in out and "value refused" in out
    health = stored(refusing_url)
    assert health["alpha"][:2] == (2, 0) and health["gamma"][:2] == (2, 0)
    assert health["bad"][0] == 0 and health["bad"][1] == 1 and "value refused" in (health["bad"][2] or "")
    assert main(["sources", "--json"]) == 0
    states = {s["name"]: s["status"] for s in map(json.loads, capsys.readouterr().out.splitlines())}
    assert states == {"alpha": "ok", "bad": "failing", "gamma": "ok"}


def test_the_service_records_a_source_the_database_refuses_as_failing_and_stores_the_others(
        refusing_url: str, tmp_path: Path) -> None:
    config = tmp_path / "watchlist.yaml"
    with serve_folder(feeds(tmp_path)) as base:
        write_config(config, base)
        settings = Settings(database_url=refusing_url, outbox=tmp_path / "outbox")

        async def scenario() -> None:
            service = Service(config, settings, load_watchlist(config))
            task = asyncio.create_task(service.run())
            deadline = time.monotonic() + 30
            while not ((now := stored(refusing_url)).get("bad", (0, 0, None))[1] >= 1
                       and now["alpha"][0] == now["gamma"][0] == 2):
                assert time.monotonic() < deadline, now
                await asyncio.sleep(0.2)
            service.stop()
            await asyncio.wait_for(task, 15)

        asyncio.run(scenario())
    health = stored(refusing_url)
    assert health["alpha"][0] == 2 and health["gamma"][0] == 2 and health["bad"][0] == 0
    assert "value refused" in (health["bad"][2] or "")
