"""Positions in a fold back to the original text: computed only for items that matched, only as far as the hit.

Speed layer: finding the original offset of the last word of an average corpus item takes ~10 µs by the block
counts below, ~95 µs summing the key lengths character by character. Without it every result is the same:
tests/test_match_normalize.py holds its offsets equal to those of ``tokens`` (a regex over the original text),
across long texts, forwards and backwards.

Text in a single-byte code page folds one character at a time, and the size of each character's key
is a byte of ``Prepared.data`` translated by the codec's sizes. Nearly all of them are one: h folds to
nothing, x to two letters. So a position is found by counting those few other sizes in C: first in blocks of
128 characters, then inside the block. Other text folds chunk by chunk (the runs between spaces, each
followed by a space): its chunk first, then inside it.
"""

from __future__ import annotations

from bisect import bisect_right
from itertools import accumulate, islice, repeat
from operator import add, mul

from watcher.match.letters import key_table
from watcher.match.normalize import _FOLDS, Prepared

_BLOCK = 128


class Offsets:
    """Maps positions in ``fold(text)`` back to the original text, given ``prepare(text)``."""

    __slots__ = ("_chunks", "_ends", "_found", "_odd", "_prepared", "_run", "_sizes", "_starts")

    def __init__(self, prepared: Prepared) -> None:
        self._prepared = prepared.text
        self._sizes: dict[int, list[int]] = {}  # a chunk's running key lengths
        self._chunks: list[str] = []
        self._starts: dict[int, int] = {}  # where chunks start, those asked for
        self._odd: tuple[int, ...] = ()
        self._found: dict[int, int] = {}  # the hits of one item share their words (name, surname, alias)
        if prepared.codec is not None:
            self._run = prepared.data.translate(prepared.codec.sizes)
            self._odd = tuple(size for size in prepared.codec.odd if size in self._run)  # 0 (h) and 2 (x), mostly
            self._ends: list[int] = []  # summed as far as needed: a hit is seldom at the end of a long text
        else:
            self._run = b""
            self._chunks = prepared.text.split()
            self._ends = list(accumulate(map(len, map(_FOLDS.__getitem__, self._chunks))))

    def _index(self, folded: int) -> int:
        """The original index of the character whose key holds folded character ``folded`` (0-based, unpadded)."""
        if folded in self._found:
            return self._found[folded]
        if not self._run:
            index = self._in_chunks(folded)
        else:
            ends = self._ends
            if not ends or ends[-1] <= folded:
                self._sum_blocks(folded)
            k = bisect_right(ends, folded)
            index = len(self._run) if k == len(ends) else self._inside(k * _BLOCK, folded - (ends[k - 1] if k else 0))
        self._found[folded] = index
        return index

    def _sum_blocks(self, folded: int) -> None:
        """Folded lengths of the blocks up to the one holding ``folded``."""
        ends, run, odd = self._ends, self._run, self._odd
        total = ends[-1] if ends else 0
        first = len(ends) * _BLOCK
        bulk = min(folded - total, len(run) - first) // _BLOCK
        if bulk > 4:  # a hit deep in a long text: the blocks it surely needs, each counted with no Python step
            starts = range(first, first + bulk * _BLOCK, _BLOCK)
            sums = [_BLOCK] * bulk
            for size in odd:
                counts = map(run.count, repeat(size), starts, map(add, starts, repeat(_BLOCK)))
                sums = list(map(add, sums, map(mul, repeat(size - 1), counts)))
            ends += islice(accumulate(sums, initial=total), 1, None)
            total, first = ends[-1], first + bulk * _BLOCK
        while total <= folded and first < len(run):
            stop = min(first + _BLOCK, len(run))
            total += stop - first
            for size in odd:
                total += (size - 1) * run.count(size, first, stop)
            ends.append(total)
            first = stop

    def _inside(self, first: int, inner: int) -> int:
        """The character of the block from ``first`` whose key holds its folded character ``inner``: the last
        one whose keys from ``first`` add up to no more than ``inner``. Guessing from the sum at the last
        guess lands there in two or three counts (blocks seldom hold more than a few h)."""
        run, odd = self._run, self._odd
        lo, hi = first, min(first + _BLOCK, len(run))  # reach(lo) <= inner < reach(hi)
        at = first + inner
        while hi - lo > 1:
            at = min(max(at, lo + 1), hi - 1)
            reach = at - first
            for size in odd:
                reach += (size - 1) * run.count(size, first, at)
            if reach > inner:
                hi, at = at, at - (reach - inner)
            elif reach < inner:
                lo, at = at, at + (inner - reach)
            elif run[at]:  # its key starts right there
                return at
            else:
                lo, at = at, at + 1
        return lo

    def _in_chunks(self, folded: int) -> int:
        k = min(bisect_right(self._ends, folded), len(self._ends) - 1)
        inner = folded - (self._ends[k - 1] if k else 0)
        if k not in self._sizes:
            self._sizes[k] = list(accumulate(map(len, map(key_table().__getitem__, map(ord, self._chunks[k])))))
        if k not in self._starts:  # the rest of the text from chunk k on, split off in C
            self._starts[k] = len(self._prepared) - len(self._prepared.split(None, k)[-1])
        return self._starts[k] + bisect_right(self._sizes[k], inner)

    def _empty(self, index: int) -> bool:
        """Whether the character at ``index`` folds to nothing (h, ь, an accent): it belongs to its word."""
        if not 0 <= index < len(self._prepared):
            return False
        return self._run[index] == 0 if self._run else not key_table()[ord(self._prepared[index])]

    def start(self, position: int) -> int:
        """The original offset of the word whose folded text starts at ``position``."""
        first = self._index(position - 1)
        while self._empty(first - 1):
            first -= 1
        return first

    def end(self, position: int) -> int:
        """The original offset just after the word whose folded text ends before ``position``."""
        last = self._index(position - 2)
        while self._empty(last + 1):
            last += 1
        return last + 1
