"""Key items: the pre-check that skips items without the query's words never changes what the matcher decides."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from watcher.config import parse_watchlist
from watcher.config.schema import DigestConfig, Watchlist
from watcher.match import compile_matcher
from watcher.models import Mention, MentionedItem
from watcher.parse import parse_feed
from watcher.report.key_items import key_items
from watcher.report.period import PeriodIndex

WATCHLIST = parse_watchlist("""\
actors:
  - {id: pashinyan, name: Nikol Pashinyan, aliases: [Никол Пашинян, Նիկոլ Փաշինյան]}
  - {id: aliyev, name: Ilham Aliyev, aliases: [Ильхам Алиев, İlham Əliyev]}
  - {id: karabakh, name: Karabakh, kind: place, aliases: [Карабах, Ղարաբաղ, Qarabağ]}
  - {id: baku, name: Baku, kind: place, aliases: [Баку, Bakı]}
terms:
  - {id: treaty, name: peace treaty, aliases: [мирный договор]}
situations:
  - {id: resign, title: R, actors: [pashinyan, karabakh], query: "(resign* OR отставк*) AND (Karabakh OR Artsakh)"}
  - {id: near, title: N, actors: [aliyev, karabakh], query: "title:election NEAR/3 Karabakh"}
  - {id: in-baku, title: B, actors: [aliyev, baku], query: "Baku AND NOT Moscow"}
  - {id: treaty, title: T, actors: [pashinyan], terms: [treaty], query: '"peace treaty" OR мирн* OR text:signed'}
  - {id: only-not, title: O, actors: [pashinyan, aliyev], query: "NOT war"}
  - {id: plain, title: P, actors: [baku]}
digests:
  - {id: all, title: All, to: [a@example.org], schedule: daily 07:00}
  - {id: some, title: Some, to: [a@example.org], schedule: daily 07:00, situations: [near, plain]}
""")
WORDS = ["Karabakh", "Карабахе", "Ղարաբաղի", "Qarabağ", "Artsakh", "Арцаха", "resigned", "resigns", "отставку",
         "отставка", "election", "elections", "Baku", "Bakı", "Баку", "Moscow", "peace", "treaty", "мирный",
         "мирного", "договора", "signed", "war", "Pashinyan", "Пашинян", "Aliyev", "Əliyev", "said", "the", "of",
         "https://karabakh.example/resign", "www.baku.az", "<b>election</b>", "Karabakh's", "karabakhi", "resign-",
         "ELECTION", "Élection", "and", "in", "on"]
ENTRY_IDS = ["pashinyan", "aliyev", "karabakh", "baku", "treaty", "resign"]


def by_matcher(watchlist: Watchlist, digest: DigestConfig, items: list[MentionedItem]) -> dict[str, set[int]]:
    """The matcher on every item, for every situation with a query: what key_items must find."""
    out: dict[str, set[int]] = {}
    for s in watchlist.situations:
        if s.query is None or (digest.situations and s.id not in digest.situations):
            continue
        ids = {*s.actors, *s.terms}
        members = items  # a query selects any item of the period, whether or not it names an entry
        if members:
            matcher = compile_matcher([e for e in watchlist.entries if e.id in ids], queries={s.id: s.query})
            out[s.id] = {i.id for i in members
                         if any(m.entry_id == s.id for m in matcher.match_text(i.title, i.text or ""))}
    return out


def mentioned(n: int, title: str, text: str, entries: list[str]) -> MentionedItem:
    return MentionedItem(id=n, source="S", title=title, link=None, published=datetime(2026, 11, 1, tzinfo=UTC),
                         mentions=tuple(Mention(n, e, "title", k, k, e) for k, e in enumerate(entries)), text=text)


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(st.lists(st.sampled_from(WORDS), max_size=8), st.lists(st.sampled_from(WORDS), max_size=8),
                          st.lists(st.sampled_from(ENTRY_IDS), min_size=1, max_size=3)), max_size=20))
def test_key_items_are_what_the_matcher_finds(drawn: list[tuple[list[str], list[str], list[str]]]) -> None:
    items = [mentioned(n, " ".join(title), " ".join(text), entries) for n, (title, text, entries) in enumerate(drawn)]
    for digest in WATCHLIST.digests:
        assert key_items(WATCHLIST, digest, PeriodIndex(items)) == by_matcher(WATCHLIST, digest, items)


def test_key_items_in_every_script_and_only_for_the_digest_s_situations() -> None:
    items = [
        mentioned(1, "Pashinyan resigned", "Karabakh leaders met", ["pashinyan"]),
        mentioned(2, "Пашинян: отставку не принимаю", "в Карабахе спокойно", ["pashinyan"]),
        mentioned(3, "Pashinyan resigned", "see https://karabakh.example/", ["pashinyan"]),  # a link is no word
        mentioned(4, "Election in Karabakh", "", ["karabakh"]),
        mentioned(5, "Karabakh votes", "the election is near", ["karabakh"]),  # NEAR is title only here
        mentioned(6, "Bakı: Aliyev", "", ["baku"]),
        mentioned(7, "Baku and Moscow", "", ["baku"]),
        mentioned(8, "Pashinyan at war", "мирного договора нет", ["pashinyan"]),
    ]
    everything, some = WATCHLIST.digests
    found = key_items(WATCHLIST, everything, PeriodIndex(items))
    assert found == by_matcher(WATCHLIST, everything, items)
    assert found["resign"] == {1, 2} and found["near"] == {4} and found["in-baku"] == {6} and found["treaty"] == {8}
    assert found["only-not"] == set()  # a query of NOTs alone never marks an item, as in the matcher
    assert key_items(WATCHLIST, some, PeriodIndex(items)) == {"near": {4}}


def test_a_query_selects_items_that_name_no_entry() -> None:
    items = [
        mentioned(1, "Officials resign in Artsakh", "Two ministers left", []),  # names no entry at all
        mentioned(2, "Пашинян: отставку не принимаю", "в Карабахе спокойно", ["pashinyan"]),
        mentioned(3, "Weather in Artsakh", "sunny", []),
        mentioned(4, "Мирный договор подписан", "", ["aliyev"]),  # an entry of another situation: the treaty query holds
    ]
    found = key_items(WATCHLIST, WATCHLIST.digests[0], PeriodIndex(items))
    assert found["resign"] == {1, 2} and found["treaty"] == {4}


def test_key_items_of_corpus_items_are_what_the_matcher_finds(corpus_dir: Path) -> None:
    watchlist = parse_watchlist((Path(__file__).parents[1] / "watchlist.yaml").read_text(encoding="utf-8"))
    entry_ids = [e.id for e in watchlist.entries]
    items: list[MentionedItem] = []
    for path in sorted(corpus_dir.iterdir()):
        if path.name == "MANIFEST.md":
            continue
        feed = parse_feed(path.read_bytes(), url=f"http://127.0.0.1/{path.name}", fetched_at=datetime(2026, 11, 1, tzinfo=UTC))
        for item in feed.items:
            n = len(items)
            # every item under some situation's entries, so each situation's query sees many
            items.append(mentioned(n, item.title, item.text, [entry_ids[n % len(entry_ids)]]))
    assert len(items) > 500
    digest = watchlist.digests[0]
    assert key_items(watchlist, digest, PeriodIndex(items)) == by_matcher(watchlist, digest, items)
