"""Hypothesis strategy shared by the property tests: real corpus documents, mutated at the byte level."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from hypothesis import strategies as st


def mutated_documents(files: Sequence[Path], *, splices: Sequence[str] = (), max_steps: int = 4) -> st.SearchStrategy[bytes]:
    """Documents from ``files`` with bytes flipped, deleted, inserted, the tail cut off, or ``splices`` inserted."""
    actions = ["flip", "delete", "insert", "truncate"] + (["splice"] if splices else [])

    @st.composite
    def mutated(draw: st.DrawFn) -> bytes:
        data = bytearray(draw(st.sampled_from(list(files))).read_bytes())
        for _ in range(draw(st.integers(1, max_steps))):
            position = draw(st.integers(0, max(0, len(data) - 1)))
            action = draw(st.sampled_from(actions))
            if action == "flip" and data:
                data[position] = draw(st.integers(0, 255))
            elif action == "delete":
                del data[position:position + draw(st.integers(1, 64))]
            elif action == "insert":
                data[position:position] = draw(st.binary(min_size=1, max_size=16))
            elif action == "splice":
                data[position:position] = draw(st.sampled_from(list(splices))).encode()
            elif action == "truncate":
                del data[position:]
        return bytes(data)

    return mutated()
