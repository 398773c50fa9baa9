"""The given-name lists of ``names/`` (each file's header says where it comes from), read on first use, once.

``names()`` are the keys of every given name, ``not_names()`` the words the lists hold that are titles and
ordinary words as well, ``forms()`` the spellings and diminutives of one name (Serzh, Serge, Serj).
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib.resources import files

from watcher.match.normalize import fold, key

_DOUBLE = re.compile(r"([a-z])\1+")


def coarse(word_key: str) -> str:
    """A given name's key with doubled letters single: Vitalii and Vitali, Ованнес and Ованес are one."""
    return _DOUBLE.sub(r"\1", word_key)


def read(name: str) -> list[str]:
    """The lines of a list, comments left out."""
    text = files("watcher.match").joinpath("names", name).read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]


@lru_cache(maxsize=1)
def names() -> tuple[frozenset[str], frozenset[str]]:
    """Coarse keys of the Armenian and Azerbaijani lists and the forms, and of the Russian list."""
    ours = [*read("hy.txt"), *read("az.txt"), *(w for line in read("forms.txt") for w in line.split(", "))]
    # one fold of all of them: a name of two words (Амир-Али) gives both
    return (frozenset(coarse(k) for k in fold("\n".join(ours)).split() if len(k) >= 3),
            frozenset(coarse(k) for k in fold("\n".join(read("ru.txt"))).split() if len(k) >= 3))


@lru_cache(maxsize=1)
def not_names() -> frozenset[str]:
    """Written forms, not keys: Мэр is no name, Mher is."""
    return frozenset(w.casefold() for w in read("not_names.txt"))


@lru_cache(maxsize=1)
def forms() -> dict[str, tuple[str, ...]]:
    """Coarse key of a given name -> every spelling of its line in forms.txt."""
    out: dict[str, tuple[str, ...]] = {}
    for line in read("forms.txt"):
        group = tuple(line.split(", "))
        for form in group:
            k = coarse(key(form))
            out[k] = tuple(dict.fromkeys((*out.get(k, ()), *group)))
    return out
