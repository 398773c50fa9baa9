"""Deterministic pseudo-news: titles, summaries and whole feeds (RSS 2.0, Atom, RSS 1.0) from seeded word lists.

Everything here is a pure function of (seed, feed index, item index, the mention names), so the server can
render any generation of any feed again and get the same bytes.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from email.utils import formatdate
from xml.sax.saxutils import escape, quoteattr

BASE_TIME = 1_767_225_600  # 2026-01-01T00:00:00Z; item j of a feed is published j minutes later
MENTION_SHARE = 0.10

_EN_WORDS = ("government minister talks border ceasefire parliament election opposition protest capital region "
       "agreement delegation peace treaty security council officials statement report week deputy party "
       "economy energy pipeline trade sanctions negotiations road corridor village troops withdrawal "
       "humanitarian refugees court ruling investigation corruption budget reform vote president prime "
       "foreign ministry spokesman summit meeting leaders visit spring autumn announced said denied "
       "confirmed rejected demanded warned expected local residents journalists media independent national "
       "new old first second last major minor senior former acting interim official joint international "
       "a the of in on at for with against after before during under over near between across "
       "and or but while as its their his her this that these those is was were will would could")
_RU_WORDS = ("правительство министр переговоры граница перемирие парламент выборы оппозиция протест столица регион "
       "соглашение делегация мир договор безопасность совет чиновники заявление доклад неделя депутат партия "
       "экономика энергетика трубопровод торговля санкции дорога коридор село войска вывод гуманитарный "
       "беженцы суд решение расследование коррупция бюджет реформа голосование президент премьер "
       "МИД представитель саммит встреча лидеры визит весной осенью объявил заявил опроверг подтвердил "
       "отклонил потребовал предупредил ожидается местные жители журналисты СМИ независимые национальные "
       "новый старый первый второй последний бывший временный официальный совместный международный "
       "в на за с против после до во время под над около между и или но пока как их его её этот эти был "
       "была были будет мог бы «Кольцо» — по словам")
_EN, _RU = _EN_WORDS.split(), _RU_WORDS.split()
_RU_CASES = {"ян": ("яна", "яну", "яном"), "ов": ("ова", "ову", "овым"), "ев": ("ева", "еву", "евым"),
             "ин": ("ина", "ину", "иным"), "ский": ("ского", "скому", "ским")}


@dataclass(frozen=True, slots=True)
class Mentionable:
    """An actor as feeds write it: a Latin full name and surname, a Cyrillic full name and surname."""

    latin: str
    cyrillic: str


@dataclass(frozen=True, slots=True)
class FeedSpec:
    """What one generated feed is: its index, format, language and encoding."""

    index: int
    kind: str  # "rss2", "atom" or "rss1"
    language: str  # "en" or "ru"
    encoding: str  # "utf-8" or "windows-1251"


def feed_spec(index: int) -> FeedSpec:
    """Feed ``index``'s format (rotating RSS 2.0, Atom, RSS 1.0), language (2 in 5 Russian) and encoding."""
    kind = ("rss2", "atom", "rss1")[index % 3]
    language = "ru" if index % 5 in (1, 3) else "en"
    # Half the Russian RSS 2.0 feeds in windows-1251, as interfax and several regional outlets still do.
    encoding = "windows-1251" if language == "ru" and kind == "rss2" and index % 2 == 1 else "utf-8"
    return FeedSpec(index, kind, language, encoding)


def russian_forms(surname: str) -> tuple[str, ...]:
    """A Cyrillic surname in its oblique cases (Пашинян -> Пашиняна, Пашиняну, Пашиняном)."""
    for ending, forms in _RU_CASES.items():
        if surname.endswith(ending):
            stem = surname[: -len(ending)]
            return tuple(stem + form for form in forms)
    return (surname,)


def _mention(rng: random.Random, actor: Mentionable, language: str) -> str:
    if language == "en":
        surname = actor.latin.split()[-1]
        return rng.choice((actor.latin, actor.latin, surname + "'s", f"{actor.latin}'s"))
    surname = actor.cyrillic.split()[-1]
    return rng.choice((actor.cyrillic, *russian_forms(surname)))


def _words(rng: random.Random, vocabulary: list[str], count: int) -> list[str]:
    return [rng.choice(vocabulary) for _ in range(count)]


def item_text(seed: int, feed: int, item: int, language: str, actors: tuple[Mentionable, ...],
              mention_share: float = MENTION_SHARE) -> tuple[str, str, str | None]:
    """(title, summary, the mention inserted or None) of item ``item`` of feed ``feed``."""
    rng = random.Random(f"{seed}:{feed}:{item}")
    vocabulary = _EN if language == "en" else _RU
    title = _words(rng, vocabulary, rng.randint(8, 14))
    summary = _words(rng, vocabulary, rng.randint(40, 80))
    mention = None
    if actors and rng.random() < mention_share:
        mention = _mention(rng, rng.choice(actors), language)
        target = title if rng.random() < 0.5 else summary
        target.insert(rng.randrange(len(target) + 1), mention)
    return (_sentence(title), _sentence(summary) + ".", mention)


def _sentence(words: list[str]) -> str:
    text = " ".join(words)
    return text[:1].upper() + text[1:]  # not str.capitalize(): it would lower-case the names inside


def _entry(spec: FeedSpec, j: int, base: str, title: str, summary: str) -> str:
    link = f"{base}/f{spec.index}/{j}.html"
    html = escape(f"<p>{summary}</p>")
    when = BASE_TIME + 60 * j
    if spec.kind == "rss2":
        return (f"<item><title>{escape(title)}</title><link>{link}</link>"
                f'<guid isPermaLink="false">bench-{spec.index}-{j}</guid>'
                f"<pubDate>{formatdate(when, usegmt=True)}</pubDate><description>{html}</description></item>\n")
    stamp = _iso(when)
    if spec.kind == "atom":
        return (f"<entry><title>{escape(title)}</title><id>urn:bench:{spec.index}:{j}</id>"
                f'<link href="{link}"/><published>{stamp}</published><updated>{stamp}</updated>'
                f'<summary type="html">{html}</summary></entry>\n')
    return (f"<item rdf:about={quoteattr(link)}><title>{escape(title)}</title><link>{link}</link>"
            f"<dc:date>{stamp}</dc:date><description>{html}</description></item>\n")


def _iso(when: int) -> str:
    import time

    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(when))


def render_item(spec: FeedSpec, j: int, base: str, seed: int, actors: tuple[Mentionable, ...],
                mention_share: float = MENTION_SHARE) -> bytes:
    """One item of a feed as bytes in the feed's encoding (so a feed is its head, its items, its tail)."""
    title, summary, _ = item_text(seed, spec.index, j, spec.language, actors, mention_share)
    return _entry(spec, j, base, title, summary).encode(spec.encoding, "xmlcharrefreplace")


def head_and_tail(spec: FeedSpec, base: str, newest: int, first: int, last: int) -> tuple[bytes, bytes]:
    """The bytes before and after the items of a feed whose newest item is ``newest`` (items first..last)."""
    declaration = f'<?xml version="1.0" encoding="{spec.encoding}"?>\n'
    name = f"Bench {spec.language} feed {spec.index}"
    home = f"{base}/f{spec.index}/"
    if spec.kind == "rss2":
        head = (f'{declaration}<rss version="2.0"><channel><title>{name}</title><link>{home}</link>'
                f"<description>{name}</description><language>{spec.language}</language>\n")
        tail = "</channel></rss>\n"
    elif spec.kind == "atom":
        head = (f'{declaration}<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="{spec.language}">'
                f'<title>{name}</title><id>urn:bench:{spec.index}</id><link href="{home}"/>'
                f"<updated>{_iso(BASE_TIME + 60 * newest)}</updated>\n")
        tail = "</feed>\n"
    else:
        refs = "".join(f'<rdf:li rdf:resource="{base}/f{spec.index}/{j}.html"/>' for j in range(last, first - 1, -1))
        head = (f'{declaration}<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
                f'xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">'
                f'<channel rdf:about="{home}"><title>{name}</title><link>{home}</link>'
                f"<description>{name}</description><dc:language>{spec.language}</dc:language>"
                f"<items><rdf:Seq>{refs}</rdf:Seq></items></channel>\n")
        tail = "</rdf:RDF>\n"
    return head.encode(spec.encoding), tail.encode(spec.encoding)
