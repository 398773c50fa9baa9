"""Decode a response body (identity, gzip, deflate) chunk by chunk, never holding more than a cap.

We decode ourselves instead of letting httpx do it because httpx inflates each network chunk in one call:
a 64 KB chunk of a gzip bomb becomes ~64 MB in memory before any cap can look at it. Here every
decompress call is bounded by ``max_length``, so memory stays near ``limit`` plus one piece.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator

from watcher.errors import FetchError

PIECE = 64 * 1024  # largest output of one decompress call
ACCEPT_ENCODING = "gzip, deflate"  # only what we can decode with a bounded output; br needs a newer brotli


class BodyTooLarge(FetchError):
    """The decoded body went over the cap."""


class _Inflater:
    """One gzip or deflate stream, fed compressed bytes, yielding pieces of at most PIECE bytes."""

    def __init__(self, coding: str) -> None:
        self._gzip = coding in {"gzip", "x-gzip"}
        self._name = "gzip" if self._gzip else "deflate"
        # 16+15 reads a gzip header; "deflate" is zlib-wrapped per the RFC, raw deflate (-15) from some servers
        self._wbits = 31 if self._gzip else 15
        self._decoder = zlib.decompressobj(self._wbits)
        self._members = 0  # complete streams seen (gzip allows several members back to back)
        self._in_member = False  # bytes of an unfinished stream were consumed
        self._done = False

    def feed(self, data: bytes) -> Iterator[bytes]:
        """Yield the decoded pieces of ``data``."""
        pending = False  # a full piece may leave more output inside zlib: ask again with no input
        while (data or pending) and not self._done:
            try:
                out = self._decoder.decompress(data, PIECE)
            except zlib.error as e:
                if self._wbits == 15 and not self._in_member and not self._members:
                    self._wbits = -15
                    self._decoder = zlib.decompressobj(self._wbits)
                    continue
                if self._members and not self._in_member:
                    self._done = True  # garbage after a complete stream: keep what we have, as browsers do
                    return
                raise FetchError(f"the {self._name} body is corrupt: {e}") from e
            self._in_member = True
            pending = len(out) == PIECE
            if out:
                yield out
            if self._decoder.eof:
                self._members += 1
                self._in_member = pending = False
                data = self._decoder.unused_data
                self._done = not self._gzip
                self._decoder = zlib.decompressobj(self._wbits)
            else:
                data = self._decoder.unconsumed_tail

    def finish(self) -> None:
        """Raise if the stream stopped before its end (a truncated download)."""
        if self._in_member:  # an empty body is fine: some servers label even that as gzip
            raise FetchError(f"the {self._name} body ends before its end of stream (truncated download)")


class BodyDecoder:
    """Accumulates a decoded body from raw chunks; raises BodyTooLarge past ``limit`` decoded bytes."""

    def __init__(self, content_encoding: str | None, limit: int, *, truncate: bool = False) -> None:
        codings = [c.strip().lower() for c in (content_encoding or "").split(",")]
        codings = [c for c in codings if c and c != "identity"]
        for coding in codings:
            if coding not in {"gzip", "x-gzip", "deflate"}:
                raise FetchError(f"the server sent an unsupported content-encoding {coding!r}",
                                 hint=f"we ask for {ACCEPT_ENCODING} only")
        # codings are listed in the order applied, so they are undone last first
        self._stages = [_Inflater(c) for c in reversed(codings)]
        self._limit = limit
        self._truncate = truncate
        self._buffer = bytearray()
        self.full = False  # with truncate=True: the limit was reached and the rest ignored

    def feed(self, chunk: bytes) -> None:
        """Decode one raw chunk and keep its output."""
        pieces: Iterator[bytes] = iter((chunk,))
        for stage in self._stages:
            pieces = _chain(stage, pieces)
        for piece in pieces:
            if len(self._buffer) + len(piece) > self._limit:
                if self._truncate:
                    self._buffer += piece[: self._limit - len(self._buffer)]
                    self.full = True
                    return
                raise BodyTooLarge(f"the body is larger than {self._limit} bytes (max_bytes) once decompressed",
                                   hint="a gzip bomb or not a feed; raise max_bytes only if the feed is really that big")
            self._buffer += piece

    def finish(self) -> bytes:
        """The whole decoded body."""
        if not self.full:
            for stage in self._stages:
                stage.finish()
        return bytes(self._buffer)


def _chain(stage: _Inflater, pieces: Iterator[bytes]) -> Iterator[bytes]:
    for piece in pieces:
        yield from stage.feed(piece)
