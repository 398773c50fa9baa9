"""Items per second of the matcher for 50, 500 and 5,000 entries, beside one regex per alias.

    python bench/match_speed.py [--corpus ../shared/corpus/feeds] [--seconds 2]

Items are the real news items of the shared corpus (title + text, as the parser gives them), one in
ten (--mention-every) with a mention of a random entry added; without the corpus, generated sentences stand in.
Entries are generated Armenian/Russian-style persons with 2-4 spellings each, Latin and Cyrillic.
Everything runs on one core in this process; timings include all normalisation. Rates are items per
second of CPU time (time.process_time: other processes on a shared machine do not count), the median of
three rounds; the matcher's rate by the wall clock is printed beside it.
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from watcher.config.schema import ActorConfig
from watcher.errors import ParseError
from watcher.match import compile_matcher
from watcher.match.normalize import fold
from watcher.models import Item

REPO = Path(__file__).resolve().parents[1]
# Parallel syllables so one name has a Latin and a Cyrillic spelling.
_SYLLABLES = [("ka", "ка"), ("ra", "ра"), ("mi", "ми"), ("lo", "ло"), ("ser", "сер"), ("van", "ван"),
              ("ta", "та"), ("gor", "гор"), ("zhi", "жи"), ("ba", "ба"), ("le", "ле"), ("nik", "ник"),
              ("sha", "ша"), ("du", "ду"), ("khach", "хач"), ("pet", "пет"), ("ros", "рос"), ("ar", "ар")]
_ENDINGS = [("yan", "ян"), ("ov", "ов"), ("in", "ин"), ("sky", "ский"), ("ev", "ев")]
_FIRST = [("Artur", "Артур"), ("Levon", "Левон"), ("Anna", "Анна"), ("Gevorg", "Геворг"), ("Oleg", "Олег"),
          ("Mikhail", "Михаил"), ("Narek", "Нарек"), ("Sergey", "Сергей"), ("Lilit", "Лилит"), ("Ruben", "Рубен")]


def entries(count: int, rng: random.Random) -> list[ActorConfig]:
    """``count`` distinct persons, each with 2-4 spellings."""
    out: list[ActorConfig] = []
    seen: set[str] = set()
    while len(out) < count:
        parts = [*rng.sample(_SYLLABLES, rng.randint(2, 3)), rng.choice(_ENDINGS)]
        latin = "".join(p[0] for p in parts).capitalize()
        if latin in seen:
            continue
        seen.add(latin)
        cyrillic = "".join(p[1] for p in parts).capitalize()
        first = rng.choice(_FIRST)
        aliases = [f"{first[1]} {cyrillic}"]
        if latin.endswith("yan") and rng.random() < 0.5:
            aliases.append(latin[:-3] + "ian")
        if rng.random() < 0.3:
            aliases.append(cyrillic)
        out.append(ActorConfig(id=f"e{len(out)}", name=f"{first[0]} {latin}", aliases=tuple(aliases)))
    return out


def corpus_items(corpus: Path) -> list[tuple[str, str]]:
    """(title, text) of every item of the corpus, or [] without it."""
    from watcher.parse import parse_feed

    found: list[tuple[str, str]] = []
    if not corpus.is_dir():
        return found
    for path in sorted(p for p in corpus.iterdir() if p.name != "MANIFEST.md"):
        try:
            feed = parse_feed(path.read_bytes(), url=f"http://corpus/{path.name}", fetched_at=datetime.now(UTC))
        except ParseError:
            continue
        found += [(i.title, i.text) for i in feed.items if len(i.text) > 80]
    return found


def generated_items(rng: random.Random, count: int = 500) -> list[tuple[str, str]]:
    words = ["the", "minister", "said", "on", "monday", "that", "talks", "in", "the", "region", "would", "go",
             "on", "despite", "new", "reports"]
    return [(" ".join(rng.choices(words, k=8)).capitalize(), " ".join(rng.choices(words, k=90)))
            for _ in range(count)]


def with_mentions(items: list[tuple[str, str]], people: list[ActorConfig], rng: random.Random,
                  every: int = 10) -> list[Item]:
    out = []
    for n, (title, text) in enumerate(items):
        if every and n % every == 0:  # one item in ``every`` mentions someone, somewhere in its text
            person = rng.choice(people)
            words = text.split(" ")
            words.insert(rng.randrange(len(words) + 1), rng.choice((person.name, *person.aliases)))
            text = " ".join(words)
        out.append(Item(key=str(n), title=title, text=text, link=None, published=datetime(2024, 1, 1, tzinfo=UTC)))
    return out


def naive(people: list[ActorConfig]) -> list[tuple[str, re.Pattern[str]]]:
    """The method we replace: one case-insensitive, word-bounded regex per spelling."""
    return [(p.id, re.compile(rf"\b{re.escape(s)}\b", re.IGNORECASE)) for p in people for s in (p.name, *p.aliases)]


def rates(run: object, items: list[Item], seconds: float) -> tuple[float, float]:
    """Items per CPU second and per wall second, medians of three rounds of at least ``seconds`` / 3 CPU each."""
    cpu, wall = [], []
    for _ in range(3):
        done, started, clock = 0, time.process_time(), time.perf_counter()
        while time.process_time() - started < seconds / 3:
            for _ in range(32):  # the CPU clock is a system call: read it every 32 items
                run(items[done % len(items)])  # type: ignore[operator]
                done += 1
        cpu.append(done / (time.process_time() - started))
        wall.append(done / (time.perf_counter() - clock))
    return statistics.median(cpu), statistics.median(wall)


def rate(run: object, items: list[Item], seconds: float) -> float:
    """Items per CPU second (see ``rates``)."""
    return rates(run, items, seconds)[0]


def main() -> None:
    """Print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=REPO.parent / "shared" / "corpus" / "feeds")
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--mention-every", type=int, default=10, help="one item in N gets a mention (0: none)")
    args = parser.parse_args()
    rng = random.Random(7)
    base = corpus_items(args.corpus) or generated_items(rng)
    print(f"{len(base)} items, mean {statistics.mean(len(t) + len(x) for t, x in base):.0f} characters"
          f" ({'corpus' if args.corpus.is_dir() else 'generated'})")
    print(f"{'entries':>8} {'spellings':>9} {'compile s':>9} {'matcher items/s':>16} {'(wall clock)':>13}"
          f" {'bare AC items/s':>16} {'regex items/s':>14} {'matches':>8}")
    for count in (50, 500, 5000):
        people = entries(count, rng)
        items = with_mentions(base, people, rng, args.mention_every)
        started = time.perf_counter()
        matcher = compile_matcher(people)
        compiled = time.perf_counter() - started
        matched = sum(len(matcher.match(i)) for i in items)
        fast, fast_wall = rates(matcher.match, items, args.seconds)
        # The floor: the same automaton over text already folded, nothing else (machine calibration).
        automaton = matcher._tables.automaton  # a benchmark may look inside
        folded = {i.key: (fold(i.title).encode("ascii"), fold(i.text).encode("ascii")) for i in items}

        def bare(item: Item, folded: dict[str, tuple[bytes, bytes]] = folded, automaton: Any = automaton) -> int:
            title, text = folded[item.key]
            return (len(automaton.find_matches_as_indexes(title, overlapping=True))
                    + len(automaton.find_matches_as_indexes(text, overlapping=True)))

        regexes = naive(people)

        def slow(item: Item, regexes: list[tuple[str, re.Pattern[str]]] = regexes) -> list[str]:
            body = f"{item.title}\n{item.text}"
            return [entry for entry, rx in regexes if rx.search(body)]

        spellings = sum(1 + len(p.aliases) for p in people)
        print(f"{count:>8} {spellings:>9} {compiled:>9.2f} {fast:>16,.0f} {fast_wall:>13,.0f}"
              f" {rate(bare, items, args.seconds):>16,.0f}"
              f" {rate(slow, items, args.seconds):>14,.0f} {matched:>8}")


if __name__ == "__main__":
    main()
