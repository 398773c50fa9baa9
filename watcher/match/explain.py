"""``watcher explain``: which entries a text mentions, through which rule, and the near misses."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from watcher.match.compile import Tables, Word
from watcher.match.letters import TOKEN_RE
from watcher.match.normalize import key, script, tokens

if TYPE_CHECKING:
    from watcher.match.matcher import Matcher


@dataclass(frozen=True, slots=True)
class Explanation:
    """One hit (``matched``) or near miss of one entry, with the words of the text concerned."""

    entry_id: str
    matched: bool
    text: str  # as written in the text
    start: int
    end: int
    rule: str  # hits: name, surname, alias, translit, inflection, query; misses: context, excluded, namesake,
    #            lower-case, surname-off, first-name, different-word, spelling, hidden
    spelling: str  # the watchlist spelling it was compared with
    reason: str


_FOUND = ("", "")  # a spelling the entry accepts: no near miss for this word
_SCRIPTS = {"cyrillic": "Cyrillic", "armenian": "Armenian", "azeri": "Azerbaijani Latin", "latin": "Latin"}


def explain(matcher: Matcher, tables: Tables, text: str) -> list[Explanation]:
    """Hits first, then near misses, each in text order."""
    verdicts, located = matcher.verdicts("", text)
    out: list[Explanation] = []
    covered: dict[str, list[tuple[int, int]]] = {}
    loc = located.get("text")
    for v in verdicts:
        if loc is None:
            break
        entry = tables.plans[v.entry].entry
        start, end = loc.span(v.hit)
        rule, spelling = matcher.describe(v, loc)
        if v.reason:
            kind = _kind(v.reason)
            out.append(Explanation(entry.id, False, text[start:end], start, end, kind, spelling, v.reason))
        else:
            written = text[start:end]
            detail = f"{_SCRIPTS[script(written)]} {written!r} for {spelling!r} ({rule})"
            out.append(Explanation(entry.id, True, written, start, end, rule, spelling, detail))
        covered.setdefault(entry.id, []).append((start, end))
    out.sort(key=lambda e: (not e.matched, e.start))
    misses = sorted(_near_misses(tables, text, covered), key=lambda e: e.start)
    return out + misses


def _kind(reason: str) -> str:
    if reason.startswith("no context"):
        return "context"
    if "lower case" in reason:
        return "lower-case"
    if "given name" in reason or "initial" in reason or "another person" in reason:
        return "namesake"
    return "excluded"


def _near_misses(tables: Tables, text: str, covered: dict[str, list[tuple[int, int]]]) -> list[Explanation]:
    out: list[Explanation] = []
    seen = {t.start for t in tokens(text)}
    raw = [(m.start(), m.end(), m.group()) for m in TOKEN_RE.finditer(text)]
    for plan in tables.plans:
        entry = plan.entry
        spans = covered.get(entry.id, [])
        for pid in plan.mentions:
            phrase = tables.phrases[pid]
            names = [w for w in TOKEN_RE.findall(phrase.spelling) if key(w)]
            for position, options in enumerate(phrase.words):
                last = position == len(phrase.words) - 1
                if not last and not (phrase.person and position == 0):
                    continue
                written = names[-1] if last else names[0]
                for start, end, token in raw:
                    if any(s < end and start < e for s, e in spans):
                        continue
                    reasons = [_why(tables.words[wid], token, written, phrase.person and len(phrase.words) > 1,
                                    last, entry.surname, start in seen) for wid in options]
                    if any(r == _FOUND for r in reasons):
                        continue
                    why = next((r for r in reasons if r is not None), None)
                    if why is not None:
                        out.append(Explanation(entry.id, False, token, start, end, why[0], phrase.spelling, why[1]))
                        spans = [*spans, (start, end)]
    return out


def _why(word: Word, token: str, written: str, full_name: bool, last: bool, surname: bool,
         visible: bool) -> tuple[str, str] | None:
    k = key(token)
    base = word.stem + word.own
    if not k or len(base) < 3:
        return None
    if k.startswith(word.stem) and word.accepts(k[len(word.stem):], script(token)):
        if not visible:
            return "hidden", f"{token!r} is inside a URL, an e-mail address or an HTML tag"
        if full_name and not last:
            return "first-name", f"a first name alone ({token!r}) is not a mention"
        if full_name and last and not surname:
            return "surname-off", f"surname alone ({token!r}) is switched off for this entry (surname: false)"
        return _FOUND
    if k.startswith(word.stem) and last:
        return "different-word", (f"{token!r} starts like {written!r} but '-{k[len(word.stem):]}' is not "
                                   f"an ending of it in {_SCRIPTS[script(token)]}")
    if base in k and last and len(base) >= 4:
        return "different-word", f"{token!r} contains {written!r} inside another word"
    if last and len(base) >= 5 and _one_edit(k, base):
        return "spelling", (f"{token!r} is one letter away from {written!r}; "
                            "add an alias if it is the same name")
    return None


def _one_edit(a: str, b: str) -> bool:
    """Whether ``a`` and ``b`` differ by exactly one substitution, insertion or deletion."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b, strict=True)) == 1
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    return any(long_[:i] + long_[i + 1:] == short for i in range(len(long_)))
