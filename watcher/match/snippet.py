"""Snippets: about 25 words of the original text around a hit, the hit marked [[like this]]."""

from __future__ import annotations

import re

_SPACE = re.compile(r"\s+")
_WORD = re.compile(r"\S+")
SIDE = 12  # words on each side


def snippet(text: str, start: int, end: int, side: int = SIDE) -> str:
    """``text`` around ``text[start:end]``, ``side`` words each way, whitespace collapsed."""
    window = 40 * side  # characters: enough for ``side`` words, so long texts are not read whole
    low = max(0, start - window)
    before = text[low:start]
    after = text[end:end + window]
    starts = [m.start() for m in _WORD.finditer(before)]
    left_cut = starts[-side] if len(starts) > side else (starts[0] if low and starts else 0)
    ends = [m.end() for m in _WORD.finditer(after)]
    right_cut = ends[side - 1] if len(ends) > side else len(after)
    left = _SPACE.sub(" ", before[left_cut:]).lstrip()
    right = _SPACE.sub(" ", after[:right_cut]).rstrip()
    hit = _SPACE.sub(" ", text[start:end])
    return (("… " if low + left_cut else "") + left + f"[[{hit}]]" + right
            + (" …" if end + right_cut < len(text) else ""))
