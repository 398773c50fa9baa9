"""Watchlists of T actors (the real ones of watchlist.yaml first, then generated persons) with the N feeds.

Generated persons have Armenian-, Russian- or Azerbaijani-like surnames built from syllables, each with 2-4
spellings in Latin and Cyrillic. The list is prefix-stable: the first 50 actors are the same for every T, so
the feeds (which mention only those) give comparable matches at T = 50, 500 and 5,000.
"""

from __future__ import annotations

import random
import re
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from .news import Mentionable

REPO = Path(__file__).resolve().parents[2]
MENTIONED = 50  # actors the feeds mention: the first 50 of every list

# (Latin, Cyrillic) syllables and surname endings of the three naming traditions.
_SYLLABLES = [("ka", "ка"), ("ra", "ра"), ("mi", "ми"), ("lo", "ло"), ("ser", "сер"), ("van", "ван"),
              ("ta", "та"), ("gor", "гор"), ("zhi", "жи"), ("ba", "ба"), ("le", "ле"), ("nik", "ник"),
              ("sha", "ша"), ("du", "ду"), ("khach", "хач"), ("pet", "пет"), ("ros", "рос"), ("ar", "ар"),
              ("ga", "га"), ("su", "су"), ("tig", "тиг"), ("vard", "вард"), ("hov", "ов"), ("mam", "мам"),
              ("ham", "гам"), ("zar", "зар"), ("ali", "али"), ("ras", "рас"), ("ku", "ку"), ("dor", "дор")]
_ENDINGS = [("yan", "ян"), ("yan", "ян"), ("yan", "ян"), ("ov", "ов"), ("ev", "ев"), ("in", "ин"),
            ("sky", "ский"), ("li", "ли"), ("zade", "заде")]
_FIRST = [("Artur", "Артур"), ("Levon", "Левон"), ("Anna", "Анна"), ("Gevorg", "Геворг"), ("Oleg", "Олег"),
          ("Mikhail", "Михаил"), ("Narek", "Нарек"), ("Sergey", "Сергей"), ("Lilit", "Лилит"), ("Ruben", "Рубен"),
          ("Elchin", "Эльчин"), ("Rashad", "Рашад"), ("Tigran", "Тигран"), ("Aram", "Арам"), ("Irina", "Ирина")]
_CYRILLIC = re.compile(r"^[А-Яа-яЁё][А-Яа-яЁё .-]+$")


def real_actors(path: Path = REPO / "watchlist.yaml") -> list[dict[str, Any]]:
    """The actors of the shipped watchlist, as plain dicts."""
    data = YAML(typ="safe").load(path.read_text(encoding="utf-8"))
    return [dict(actor) for actor in data.get("actors", [])]


def generated_actor(n: int, rng: random.Random, seen: set[str]) -> dict[str, Any]:
    """A new person with 2-4 spellings whose Latin surname is not in ``seen``."""
    while True:
        parts = [*rng.sample(_SYLLABLES, rng.randint(2, 3)), rng.choice(_ENDINGS)]
        latin = "".join(p[0] for p in parts).capitalize()
        if latin not in seen:
            break
    seen.add(latin)
    cyrillic = "".join(p[1] for p in parts).capitalize()
    first = rng.choice(_FIRST)
    aliases = [f"{first[1]} {cyrillic}"]
    if latin.endswith("yan") and rng.random() < 0.5:
        aliases.append(f"{first[0]} {latin[:-3]}ian")
    if latin.endswith(("ov", "ev")) and rng.random() < 0.5:
        aliases.append(f"{first[0]} {latin}a" if first[0].endswith("a") else f"{first[0]} {latin[:-2]}ov")
    if rng.random() < 0.3:
        aliases.append(cyrillic.replace("е", "э", 1) if "е" in cyrillic else f"{first[1][0]}. {cyrillic}")
    return {"id": f"bench-{n}", "name": f"{first[0]} {latin}", "kind": "person",
            "aliases": list(dict.fromkeys(a for a in aliases if a != f"{first[0]} {latin}"))}


def actors(count: int, seed: int = 8) -> list[dict[str, Any]]:
    """``count`` actors: the real ones first, then generated persons (the same prefix for every count)."""
    out = real_actors()[:count]
    rng = random.Random(seed)
    seen = {a["name"].split()[-1] for a in out}
    while len(out) < count:
        out.append(generated_actor(len(out), rng, seen))
    return out


def mentionable(actor_list: list[dict[str, Any]]) -> tuple[Mentionable, ...]:
    """The first ``MENTIONED`` actors that have a Cyrillic spelling, as the feeds will write them."""
    out = []
    for actor in actor_list[:MENTIONED]:
        cyrillic = next((a for a in actor.get("aliases", ()) if _CYRILLIC.match(a) and " " in a), None)
        if cyrillic and " " in actor["name"]:
            out.append(Mentionable(actor["name"], cyrillic))
    return tuple(out)


def write_watchlist(path: Path, urls: list[str], actor_list: list[dict[str, Any]]) -> None:
    """A watchlist.yaml with one source per URL and the given actors (no terms, situations or digests)."""
    data = {"defaults": {"every": "30m", "timezone": "UTC"},
            "sources": [{"name": f"bench-{i}", "url": url} for i, url in enumerate(urls)],
            "actors": actor_list}
    yaml = YAML()
    yaml.default_flow_style = False
    with path.open("w", encoding="utf-8") as fh:
        yaml.dump(data, fh)
