"""The fast watchlist reader agrees with ruamel.yaml: the same values, the same watchlist, the same messages.

``parse_watchlist`` reads with libyaml first and falls back to ruamel.yaml (the reader of record, which keeps
lines). Each test compares it with the ruamel-only reading, ``_parse_with_lines``, on the same text.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from watcher.config import Watchlist, parse_watchlist
from watcher.config.fastyaml import NotPlain, load_plain, quiet_comments
from watcher.config.loader import _parse_plain, _parse_with_lines, _plain
from watcher.errors import ConfigError

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.polling.watchlists import actors, write_watchlist  # noqa: E402

BASE = """\
defaults: {every: 30m, timezone: UTC}
sources:
  - name: News.am
    url: https://news.am/eng/rss/
    every: EVERY
    enabled: ENABLED
actors:
  - id: pashinyan
    name: Nikol Pashinyan
    aliases: [ALIAS, Pashinian]
    surname: SURNAME
    tags: [TAG]
"""
# Plain scalars that YAML 1.1 (libyaml, PyYAML) and 1.2 (ruamel.yaml, the watchlist's reader) read apart,
# and their neighbours: booleans, octal and sexagesimal numbers, nulls, timestamps, merge and value keys.
TRICKY = ["no", "No", "NO", "on", "On", "off", "yes", "y", "n", "true", "True", "tRue", "false", "010", "0o10",
          "08", "0x1F", "0b101", "1_000", "1:30", "1:30:00", "190:20:30", "9:30am", "1.5", "1e3", ".5", ".inf",
          ".nan", "~", "null", "Null", "", "2024-01-01", "2024-01-01 10:00:00", "=", "<<", "+1", "-0", "0", "1",
          "15m", "'no'", '"010"', "'1:30'", "Ja", "-", "--", "..."]


def outcome(text: str, read: Any) -> Watchlist | list[str]:
    """The watchlist ``read`` makes of ``text``, or its problems."""
    try:
        result: Watchlist = read(text, "watchlist.yaml")
    except ConfigError as e:
        return e.problems
    return result


def ruamel_plain(text: str) -> Any:
    """What the ruamel-only reading hands to pydantic, ruamel's number types made plain for comparing."""
    return _canonical(_plain(YAML(typ="rt").load(text)))


def _canonical(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _canonical(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_canonical(v) for v in node]
    if isinstance(node, int) and not isinstance(node, bool):
        return int(node)
    return node


def same(a: Any, b: Any) -> bool:
    """Equal with equal types all the way down (True == 1 for ==, but not here)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


@pytest.mark.parametrize("value", TRICKY)
@pytest.mark.parametrize("field", ["EVERY", "ENABLED", "ALIAS", "SURNAME", "TAG"])
def test_a_tricky_scalar_means_what_ruamel_says_in_every_field(field: str, value: str) -> None:
    defaults = {"EVERY": "15m", "ENABLED": "true", "ALIAS": "Пашинян", "SURNAME": "false", "TAG": "armenia"}
    text = BASE
    for name, default in defaults.items():
        text = text.replace(name, value if name == field else default)
    assert outcome(text, parse_watchlist) == outcome(text, _parse_with_lines)


@pytest.mark.parametrize("alias", ["No", "on", "off", "yes", "1:30", "9:30", "Y"])
def test_yaml_1_1_booleans_and_times_stay_text_in_string_fields(alias: str) -> None:
    text = BASE.replace("EVERY", "15m").replace("ENABLED", "yes").replace("SURNAME", "off").replace("TAG", "on")
    watchlist = _parse_plain(text.replace("ALIAS", alias))
    assert watchlist is not None, "the fast reader should take this watchlist"
    actor = watchlist.actors[0]
    assert (actor.aliases[0], actor.tags, actor.surname) == (alias, ("on",), False)
    assert watchlist.sources[0].enabled is True  # pydantic reads the text 'yes' as true, as it always did


def test_010_is_ten_seconds_and_1_30_is_not_a_duration() -> None:
    text = BASE.replace("ENABLED", "true").replace("ALIAS", "Пашинян").replace("SURNAME", "true").replace("TAG", "x")
    watchlist = parse_watchlist(text.replace("EVERY", "010"))
    assert watchlist.sources[0].every is not None and watchlist.sources[0].every.total_seconds() == 10
    assert parse_watchlist(text.replace("EVERY", "0o10")).sources[0].every == watchlist.sources[0].every.__class__(seconds=8)
    with pytest.raises(ConfigError) as caught:
        parse_watchlist(text.replace("EVERY", "1:30"))
    assert caught.value.problems == ["watchlist.yaml:5: sources[0].every: '1:30' is not a duration: write it as 90s, "
                                     "15m, 1h30m, 2d or 1w"]


@pytest.mark.parametrize("text", [
    "a: 1\na: 2\n",
    "a: {b: 1, b: 2}\n",
    "sources:\n  - name: x\n    url: https://a.am/\n    name: y\n",
    "x: &l [a, b]\ny: *l\nz: &l [c]\n",
    "base: &b {name: x}\nsources:\n  - <<: *b\n    url: https://a.am/\n",
    "a: *nowhere\n",
    "a: &s [b, *s]\n",
    "%YAML 1.1\n---\nactors: [{id: a, name: No}]\n",
    "--- {}\n--- {}\n",
    "a: !!str 010\n",
    "a: !custom x\n",
    "a: &x yes\nb: *x\n",
    "actors: [{id: a, name: \"x\u2028y\"}]\n",
    "\ufeffdefaults: {every: 15m}\n",
    "1: x\n",
    "? [a]\n: b\n",
    "a:\tb\n",
    "a: >#-\n  x\n",
    "- a\n- b\n",
    "just text\n",
    "",
    "# only a comment\n",
])
@pytest.mark.filterwarnings("ignore::ruamel.yaml.error.ReusedAnchorWarning")
def test_unusual_yaml_reads_as_ruamel_reads_it(text: str) -> None:
    try:
        fast = load_plain(text)
    except NotPlain:
        pass
    else:
        assert same(fast, ruamel_plain(text))
    assert outcome(text, parse_watchlist) == outcome(text, _parse_with_lines)


def test_duplicate_keys_are_refused_with_their_line() -> None:
    text = "sources:\n  - name: x\n    url: https://a.am/\n    name: y\n"
    with pytest.raises(ConfigError) as caught:
        parse_watchlist(text, "w.yaml")
    assert caught.value.problems[0].startswith("w.yaml:4: ")


def test_anchored_lists_are_shared_as_ruamel_shares_them() -> None:
    text = ("actors:\n  - {id: a, name: A, context: &ctx [Karabakh, Арцах]}\n"
            "  - {id: b, name: B, context: *ctx}\n")
    assert same(load_plain(text), ruamel_plain(text))
    watchlist = _parse_plain(text)
    assert watchlist is not None and watchlist.actors[1].context == ("Karabakh", "Арцах")


@pytest.mark.parametrize("path", ["watchlist.yaml", "watcher/demo_data/demo-watchlist.yaml"])
def test_shipped_watchlists_take_the_fast_reader_and_read_the_same(path: str) -> None:
    text = (REPO / path).read_text(encoding="utf-8").replace("{port}", "8080")
    assert same(load_plain(text), ruamel_plain(text))
    fast = _parse_plain(text)
    assert fast is not None
    assert fast == _parse_with_lines(text, path)


def test_a_benchmark_watchlist_takes_the_fast_reader_and_reads_the_same(tmp_path: Path) -> None:
    path = tmp_path / "watchlist.yaml"
    write_watchlist(path, [f"http://127.0.0.1:9/f{i}.xml" for i in range(40)], actors(80))
    text = path.read_text(encoding="utf-8")
    fast = _parse_plain(text)
    assert fast is not None and len(fast.actors) == 80
    assert fast == _parse_with_lines(text, str(path))


# Generated documents: random nesting, keys and scalars (tricky ones included) in every scalar style.
_TEXT = st.text(st.characters(codec="utf-8"), max_size=12)
_WORD = st.one_of(st.sampled_from(TRICKY), _TEXT, st.from_regex(r"[A-Za-z0-9 :#.,\-_'\"]{0,10}", fullmatch=True))


@st.composite
def scalar(draw: st.DrawFn) -> str:
    word = draw(_WORD)
    style = draw(st.sampled_from(["plain", "single", "double", "literal"]))
    if style == "single":
        return "'" + word.replace("'", "''") + "'"
    if style == "double":
        return '"' + word.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if style == "literal":
        return "|\n" + "".join(f"  {line}\n" for line in word.splitlines() or [""])
    return word


@st.composite
def document(draw: st.DrawFn) -> str:
    lines: list[str] = []
    for key in draw(st.lists(st.one_of(st.sampled_from(["name", "url", "tags", "<<", "1", "yes"]), _WORD),
                             min_size=1, max_size=4)):
        shape = draw(st.sampled_from(["scalar", "flow", "block", "map", "alias"]))
        anchor = draw(st.sampled_from(["", "", "&a "]))
        if shape == "scalar":
            value = draw(scalar())
            lines.append(f"{key}: {anchor}{value}" if not value.startswith("|") else f"{key}: {anchor}{value.rstrip()}")
        elif shape == "flow":
            lines.append(f"{key}: {anchor}[{', '.join(draw(st.lists(_WORD, max_size=3)))}]")
        elif shape == "block":
            lines.append(f"{key}: {anchor}".rstrip())
            lines.extend(f"  - {draw(_WORD)}" for _ in range(draw(st.integers(0, 3))))
        elif shape == "map":
            lines.append(f"{key}: {anchor}".rstrip())
            lines.extend(f"  {draw(_WORD)}: {draw(_WORD)}" for _ in range(draw(st.integers(0, 3))))
        else:
            lines.append(f"{key}: *a")
    return "\n".join(lines) + "\n"


@settings(max_examples=400, deadline=None)
@given(document())
def test_generated_yaml_reads_the_same_or_goes_to_ruamel(text: str) -> None:
    try:
        fast = load_plain(text)
    except NotPlain:
        return
    assert same(fast, ruamel_plain(text)), text


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(["EVERY", "ENABLED", "ALIAS", "SURNAME", "TAG"]), scalar())
def test_generated_values_in_a_watchlist_give_the_same_watchlist_or_messages(field: str, value: str) -> None:
    if value.startswith("|"):
        value = value.replace("\n", "\n    ")
    defaults = {"EVERY": "15m", "ENABLED": "true", "ALIAS": "Пашинян", "SURNAME": "false", "TAG": "armenia"}
    text = BASE
    for name, default in defaults.items():
        text = text.replace(name, value if name == field else default)
    assert outcome(text, parse_watchlist) == outcome(text, _parse_with_lines)


_SPLICES = [*":- '\"#\n[]{},&*!|>?%@`\t\\", "  ", "\n  ", "\n- ", ": ", "&a ", "*a", "<<: ", "~", "no", "010", "1:30"]


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(["watchlist.yaml", "watcher/demo_data/demo-watchlist.yaml"]),
       st.lists(st.tuples(st.floats(0, 1), st.one_of(st.sampled_from(_SPLICES), st.integers(1, 3))), min_size=1, max_size=3))
def test_a_damaged_watchlist_reads_the_same_or_goes_to_ruamel(path: str, edits: list[tuple[float, str | int]]) -> None:
    text = (REPO / path).read_text(encoding="utf-8")
    for where, edit in edits:
        at = int(where * len(text))
        text = text[:at] + edit + text[at:] if isinstance(edit, str) else text[:at] + text[at + edit:]
    try:
        fast = load_plain(text)
    except NotPlain:
        return
    assert same(fast, ruamel_plain(text)), text


# Comments cut short before reading (quiet_comments): the same values, the same messages on the same lines.
COMMENTED = [
    "# top\nsources:\n  # a feed\n  - name: x  # trailing\n    url: https://a.am/\n# end\n",
    "actors:\n  - id: a\n    name: A\n    note: |\n      # text, not a comment\n        # more text\n      end\n# a comment\n",
    "note: |+\n  kept\n# after a kept block\n\n# more\nb: 1\n",
    "note: >+\n  folded\n\n  # text\n# after\n",
    "note: |-\n  x\n  # text\n",
    "a: \"first\n# inside double quotes\n  second\"\n",
    "a: 'first\n  # inside single quotes\n  second'\n",
    "a: [x,\n# inside a flow list\n  y]\n",
    "a: first\n# ends the plain scalar\n  second\n",
    "note: |\n# less indented than what follows\n  text\n",
    "a: b\n  # indented\n   # more\nc: [unclosed\n# after an error\n",
    "a: \"unclosed\n# in the unclosed quote\nb: 1\n",
    "a: 1\r\n# windows\r\nb: 2\r\n",
    "a: 1\r# a lone CR\rb: 2\r",
    "a:\t1\n# after a tab\n",
    "--- |\n# the document is text\n",
    "#\n# \n#x\n   #\n",
]


def _ruamel_outcome(text: str) -> Any:
    """What ruamel.yaml reads (as text: its tagged values have no equality), or the kind and place of its refusal."""
    try:
        return repr(ruamel_plain(text))
    except Exception as e:
        mark = getattr(e, "problem_mark", None)
        return type(e).__name__, getattr(mark, "line", None), getattr(mark, "column", None)


@pytest.mark.parametrize("text", COMMENTED)
def test_cut_comments_leave_every_value_and_message_as_it_was(text: str) -> None:
    quiet = quiet_comments(text)
    assert quiet.count("\n") == text.count("\n") and quiet.count("\r") == text.count("\r")
    assert _ruamel_outcome(quiet) == _ruamel_outcome(text)
    assert outcome(quiet, _parse_with_lines) == outcome(text, _parse_with_lines)


def test_a_hash_inside_a_block_scalar_is_text() -> None:
    text = "note: |\n  # not a comment\n  line\nb: 1\n  # a comment\n"
    assert quiet_comments(text) == "note: |\n  # not a comment\n  line\nb: 1\n\n"
    assert ruamel_plain(quiet_comments(text)) == {"note": "# not a comment\nline\n", "b": 1}


@settings(max_examples=300, deadline=None)
@pytest.mark.filterwarnings("ignore::ruamel.yaml.error.ReusedAnchorWarning")
@given(document(), st.lists(st.tuples(st.floats(0, 1), st.sampled_from(["# c", "  # c", "    #", "# : - [ |"])),
                            min_size=1, max_size=4))
def test_generated_yaml_with_comment_lines_reads_the_same_after_cutting_them(
        text: str, comments: list[tuple[float, str]]) -> None:
    lines = text.split("\n")
    for where, comment in comments:
        lines.insert(int(where * len(lines)), comment)
    text = "\n".join(lines)
    quiet = quiet_comments(text)
    assert _ruamel_outcome(quiet) == _ruamel_outcome(text), text


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(["watchlist.yaml", "watcher/demo_data/demo-watchlist.yaml"]),
       st.lists(st.tuples(st.floats(0, 1), st.one_of(st.sampled_from(_SPLICES), st.integers(1, 3))), min_size=1, max_size=3))
def test_a_damaged_commented_watchlist_reads_the_same_after_cutting_comments(
        path: str, edits: list[tuple[float, str | int]]) -> None:
    text = (REPO / path).read_text(encoding="utf-8")
    for where, edit in edits:
        at = int(where * len(text))
        text = text[:at] + edit + text[at:] if isinstance(edit, str) else text[:at] + text[at + edit:]
    assert outcome(quiet_comments(text), _parse_with_lines) == outcome(text, _parse_with_lines)
