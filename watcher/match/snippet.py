"""Snippets: about 25 words of the original text around a hit, the hit marked [[like this]]."""

from __future__ import annotations

SIDE = 12  # words on each side
_WINDOW = 40  # characters read per word wanted, so that long texts are not split whole


def snippet(text: str, start: int, end: int, side: int = SIDE) -> str:
    """``text`` around ``text[start:end]``, ``side`` words each way, whitespace collapsed."""
    low, high = max(0, start - _WINDOW * side), min(len(text), end + _WINDOW * side)
    before, after = text[low:start], text[end:high]
    left, right = before.split(), after.split()
    if low and len(left) <= side:
        left = left[1:]  # the first word of the window may be cut
    if high < len(text) and len(right) <= side:
        right = right[:-1]
    cut_left, cut_right = low > 0 or len(left) > side, high < len(text) or len(right) > side
    left, right = left[-side:], right[:side]
    # punctuation glued to the hit stays glued: "(Pashinyan)" not "( Pashinyan )"
    join_left = " " if before[-1:].isspace() else ""
    join_right = " " if after[:1].isspace() else ""
    hit = " ".join(text[start:end].split())
    out = " ".join(left) + (join_left if left else "") + f"[[{hit}]]" + (join_right if right else "") + " ".join(right)
    return ("… " if cut_left else "") + out + (" …" if cut_right else "")
