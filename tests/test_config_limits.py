"""Watchlists that are absurd rather than wrong get a quick answer: nesting thousands of levels deep is one line
``FILE:LINE: nesting deeper than N levels`` (not a RecursionError), and megabytes of comments are read as fast
as the few lines around them."""

from __future__ import annotations

from pathlib import Path

import pytest

from watcher.cli import main
from watcher.config import parse_watchlist
from watcher.config.fastyaml import MAX_DEPTH
from watcher.errors import ConfigError

SOURCE = "sources:\n  - name: One\n    url: https://example.org/feed.xml\n"
DEEP = {
    "flow lists": ("[" * 5000, 1),
    "flow lists under a key": (SOURCE + "actors: " + "[" * 5000 + "]" * 5000 + "\n", 4),
    "flow mappings": ("{a: " * 3000 + "}" * 3000 + "\n", 1),
    "block mappings": ("".join("  " * i + "a:\n" for i in range(3000)) + "  " * 3000 + "b: 1\n", MAX_DEPTH + 1),
    "block lists": ("".join("  " * i + "-\n" for i in range(1200)), MAX_DEPTH + 1),
    "a tab (not for the fast reader)": ("a:\t1\nb: " + "[" * 5000 + "\n", 2),
    "just past the limit": ("a: " + "[" * MAX_DEPTH + "]" * MAX_DEPTH + "\n", 1),
}


@pytest.mark.parametrize("case", DEEP)
def test_deep_nesting_is_one_line_with_its_line(case: str) -> None:
    text, line = DEEP[case]
    with pytest.raises(ConfigError) as caught:
        parse_watchlist(text, "watchlist.yaml")
    assert caught.value.problems == [f"watchlist.yaml:{line}: nesting deeper than {MAX_DEPTH} levels"]


def test_nesting_up_to_the_limit_is_judged_on_its_content() -> None:
    text = "a: " + "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1) + "\n"
    with pytest.raises(ConfigError) as caught:
        parse_watchlist(text, "watchlist.yaml")
    assert caught.value.problems == ["watchlist.yaml:1: a: Extra inputs are not permitted"]


def test_check_says_it_in_one_line_and_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "watchlist.yaml"
    config.write_text(DEEP["block mappings"][0], encoding="utf-8")
    assert main(["--config", str(config), "check"]) == 2
    assert capsys.readouterr().err.splitlines() == [f"{config}:{MAX_DEPTH + 1}: nesting deeper than {MAX_DEPTH} levels"]


COMMENT = "# " + "Nagorno-Karabakh / Нагорный Карабах / Լեռնային Ղարաբաղ, a long line of notes " * 2 + "\n"
MANY = (5 * 1024 * 1024) // len(COMMENT.encode())


@pytest.mark.parametrize("tab", ["", "\t"], ids=["spaces", "tabs"])  # a tab sends the text past the fast reader
def test_five_megabytes_of_comments_read_as_their_content(tmp_path: Path, tab: str,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    comments = COMMENT.replace(" ", tab or " ", 1) * MANY
    config = tmp_path / "watchlist.yaml"
    config.write_text(comments + SOURCE + comments, encoding="utf-8")
    assert config.stat().st_size > 10_000_000
    assert main(["--config", str(config), "check"]) == 0
    assert capsys.readouterr().out.splitlines() == [f"{config}: ok: 1 sources, 0 actors, 0 terms, 0 situations, "
                                                    "0 digests"]
    # A mistake after them is found on its line.
    config.write_text(comments + SOURCE.replace("url:", "ulr:") + comments, encoding="utf-8")
    assert main(["--config", str(config), "check"]) == 2
    assert capsys.readouterr().err.splitlines() == [f"{config}:{MANY + 3}: sources[0].ulr: Extra inputs are not "
                                                    "permitted"]
    # Nothing but comments: a watchlist without sources.
    config.write_text(comments, encoding="utf-8")
    assert main(["--config", str(config), "check"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"warning: {config}:1: sources: the watchlist has none"), out
