"""Hand-made watchlist, matches and source health shared by the report and mail tests (no tests here)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from watcher.config.schema import DigestConfig, Watchlist
from watcher.models import Item, Match, Period, SourceHealth, StoredItem, StoredMatch
from watcher.report import Counts, History, earlier_periods
from watcher.sources.health import Assessment, assess

# 07:00 in Yerevan (UTC+4) to 07:00 the next day.
PERIOD = Period(datetime(2026, 11, 21, 3, 0, tzinfo=UTC), datetime(2026, 11, 22, 3, 0, tzinfo=UTC))
NOW = PERIOD.end + timedelta(seconds=5)

WATCHLIST = Watchlist.model_validate({
    "defaults": {"timezone": "Asia/Yerevan"},
    "actors": [
        {"id": "pashinyan", "name": "Nikol Pashinyan", "aliases": ["Никол Пашинян", "Նիկոլ Փաշինյան"],
         "tags": ["armenia"]},
        {"id": "aliyev", "name": "Ilham Aliyev", "aliases": ["Ильхам Алиев"], "tags": ["azerbaijan"]},
        {"id": "putin", "name": "Vladimir Putin", "tags": ["russia"]},
        {"id": "lachin", "name": "Lachin corridor", "kind": "place", "tags": ["armenia", "azerbaijan"]},
    ],
    "terms": [
        {"id": "peace-treaty", "name": "peace treaty", "aliases": ["мирный договор"], "tags": ["armenia"]},
        {"id": "border", "name": "border delimitation", "tags": ["azerbaijan"]},
    ],
    "situations": [
        {"id": "peace", "title": "Peace process", "actors": ["pashinyan", "aliyev"], "terms": ["peace-treaty"],
         "query": "treaty OR договор*"},
        {"id": "russia", "title": "Russia's role", "actors": ["putin"]},
    ],
    "digests": [
        {"id": "daily", "title": "South Caucasus daily", "to": ["analyst@example.org"], "schedule": "daily 07:00"},
    ],
})
DAILY = WATCHLIST.digests[0]


def digest_config(**changes: Any) -> DigestConfig:
    """The daily digest with some keys changed (validated like the watchlist)."""
    return DigestConfig.model_validate({**DAILY.model_dump(), **changes})


def stored(item_id: int, title: str, *, source: str = "News.am", hours: float = 1.0, text: str = "",
           link: str | None = "https://example.org/news/1", publisher: str | None = None,
           language: str | None = "en") -> StoredItem:
    """An item published ``hours`` before the period's end."""
    published = PERIOD.end - timedelta(hours=hours)
    item = Item(key=f"k{item_id}", title=title, text=text, link=link, published=published,
                publisher=publisher, language=language)
    return StoredItem(id=item_id, source=source, item=item, first_seen=published + timedelta(minutes=5))


_ids = iter(range(1, 10_000))


def match(si: StoredItem, entry_id: str, snippet: str, *, field: str = "text",
          found_at: datetime | None = None) -> StoredMatch:
    """A stored match of ``entry_id`` in ``si``; ``snippet`` marks the hit with [[ ]]."""
    hit = snippet.split("[[", 1)[1].split("]]", 1)[0] if "[[" in snippet else snippet
    m = Match(entry_id=entry_id, field=field, text=hit, start=0, end=len(hit), snippet=snippet)  # type: ignore[arg-type]
    return StoredMatch(id=next(_ids), stored_item=si, match=m, found_at=found_at or si.first_seen)


def sample_matches() -> list[StoredMatch]:
    """English, Russian and Armenian items: Pashinyan in 4 items from 3 outlets, Aliyev in 2, one term."""
    en = stored(1, "Pashinyan and Aliyev meet in Abu Dhabi", source="Azatutyun", hours=2,
                link="https://www.azatutyun.am/a/1.html")
    ru = stored(2, "Пашинян: мирный договор готов к подписанию", source="Interfax", hours=5,
                link="https://www.interfax.ru/world/2", language="ru")
    hy = stored(3, "Փաշինյանը մեկնել է Աբու Դաբի", source="Armenpress", hours=9,
                link="https://armenpress.am/hy/article/3", language="hy")
    search = stored(4, "Armenia, Azerbaijan hold border talks", source="Google News", hours=20,
                    link="https://news.google.com/rss/articles/4", publisher="Reuters")
    return [
        match(en, "pashinyan", "[[Pashinyan]] and Aliyev meet in Abu Dhabi", field="title"),
        match(en, "pashinyan", "Prime Minister [[Nikol Pashinyan]] arrived in Abu Dhabi on Saturday for talks"),
        match(en, "aliyev", "Prime Minister Nikol Pashinyan and President [[Ilham Aliyev]] will discuss the treaty"),
        match(ru, "pashinyan", "Премьер-министр [[Никол Пашинян]] заявил, что документ согласован"),
        match(ru, "peace-treaty", "заявил, что [[мирный договор]] готов к подписанию"),
        match(hy, "pashinyan", "Վարչապետ [[Նիկոլ Փաշինյան]]ը մեկնել է Աբու Դաբի"),
        match(search, "pashinyan", "officials of [[Nikol Pashinyan]]'s government met their counterparts"),
        match(search, "aliyev", "on instructions of President [[Ilham Aliyev]], the commission met"),
    ]


def sample_sources() -> list[Assessment]:
    """One healthy source, one failing, one stale, one failing but disabled."""
    end = PERIOD.end
    day = timedelta(days=1)
    health = [
        SourceHealth(name="Azatutyun", url="https://www.azatutyun.am/api/rss", active=True,
                     last_success_at=end, newest_item_at=end - timedelta(hours=2)),
        SourceHealth(name="Trend", url="https://en.trend.az/feeds/index.rss", active=True,
                     consecutive_failures=3, last_error="HTTP 403 Forbidden\r\n(blocked by a challenge page)",
                     last_success_at=end - timedelta(days=2)),
        SourceHealth(name="Aravot", url="https://www.aravot.am/feed/", active=True,
                     last_success_at=end, newest_item_at=end - timedelta(days=9)),
        SourceHealth(name="Old wire", url="https://old.example.org/rss", active=False, consecutive_failures=8,
                     last_error="gone"),
        SourceHealth(name="Hetq", url="https://hetq.am/en/rss", active=True, last_success_at=end,
                     newest_item_at=end - timedelta(days=1)),
    ]
    # Aravot published daily until nine days ago: stale; the others keep their rhythm.
    times = {"Azatutyun": [end - timedelta(hours=h) for h in (2, 5, 8)],
             "Aravot": [end - n * day for n in (9, 10, 11)], "Hetq": [end - n * day for n in (1, 2, 3)]}
    return assess(health, now=end, intervals={}, item_times=times)


def sample_history() -> History:
    """Eleven daily periods before PERIOD: Pashinyan rises, Aliyev holds, Putin falls silent, Hetq goes quiet."""
    periods = earlier_periods(PERIOD.start, [PERIOD.start - timedelta(days=n) for n in range(0, 13)])
    series = {"pashinyan": [2, 1, 3, 2, 1, 2, 1, 1, 2, 1, 1], "aliyev": [0, 0, 1, 0, 0, 0, 0, 2, 2, 3, 2],
              "putin": [1, 2, 1, 1, 2, 1, 1, 2, 1, 1, 3]}
    day = timedelta(days=1)
    return History(
        periods=periods,
        counts={e: tuple(Counts(n, min(n, 2)) for n in ns) for e, ns in series.items()},
        last_seen={"pashinyan": PERIOD.start - day / 2, "aliyev": PERIOD.start - day / 3,
                   "putin": PERIOD.start - day / 4, "border": PERIOD.start - 40 * day},
        pairs_last_seen={("aliyev", "pashinyan"): PERIOD.start - 41 * day},
        source_items={"Hetq": (4, 5, 3, 4, 6, 2, 4, 3, 5, 4, 4, 0), "Azatutyun": (9,) * 12},
        since=PERIOD.start - 60 * day,
    )


KEY_ITEMS = {"peace": {2}}
