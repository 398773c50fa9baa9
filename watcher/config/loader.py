"""Read ``watchlist.yaml`` into a validated :class:`Watchlist`, or say exactly what is wrong where.

Every problem is one line ``FILE:LINE: key.path: message``. ruamel.yaml keeps the line of each key and
list item, so pydantic's error locations can be turned back into lines of the user's file. It is also
slow (most of a second for a thousand sources), so a watchlist is first read by the libyaml-based reader of
:mod:`watcher.config.fastyaml`, which yields the same values; only a watchlist that reader declines, or one
that is invalid, is read again with ruamel, and every message comes from that reading (first emptied of its
comments when they are many, and refused at once when it nests absurdly deep: fastyaml answers both with libyaml).
"""

from __future__ import annotations

import os
import re
from pathlib import Path as FsPath
from typing import Any

from pydantic import ValidationError

from watcher.config import DEFAULT_PATH
from watcher.config.fastyaml import MAX_DEPTH, NotPlain, load_plain, quiet_comments, too_deep
from watcher.config.rules import Path, cross_check, dotted
from watcher.config.schema import Watchlist
from watcher.errors import ConfigError

NO_SOURCES = ("the watchlist has none (an empty or truncated file?): nothing would be polled; "
              "add sources, or write `allow_no_sources: true` if that is meant")
_COMMENT_LINES = re.compile(r"^ *#.*", re.M)
QUIET_FROM = 64 * 1024  # characters of whole-line comments from which they are cut short before reading


def load_watchlist(path: str | os.PathLike[str], *, require_sources: bool = False) -> Watchlist:
    """Load and validate the watchlist at ``path``; raise ConfigError listing every problem."""
    path = FsPath(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file", hint="pass --config PATH or set WATCHER_CONFIG") from None
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"{path}: cannot read: {e}") from None
    return parse_watchlist(text, str(path), require_sources=require_sources)


def parse_watchlist(text: str, filename: str = DEFAULT_PATH, *, require_sources: bool = False) -> Watchlist:
    """Validate watchlist YAML ``text``; ``filename`` is only used in messages.

    ``require_sources``: what replaces the sources in force (the service, `watcher poll`) refuses a watchlist
    without any unless it says ``allow_no_sources: true``.
    """
    watchlist = _parse_plain(text)
    if watchlist is None:
        watchlist = _parse_with_lines(quieter(text), filename)
    if require_sources and lacks_sources(watchlist):
        raise ConfigError(f"{filename}:{top_key_line(text, 'sources')}: sources: {NO_SOURCES}")
    return watchlist


def top_key_line(text: str, key: str) -> int:
    """The 1-based line of the top-level ``key:`` in block style, else 1: no need to read the text again for it."""
    found = re.search(rf"^{re.escape(key)}[ \t]*:", text, re.M)
    return text.count("\n", 0, found.start()) + 1 if found else 1


def quieter(text: str) -> str:
    """``text`` with its whole-line comments emptied when there are many: the same values and lines, read by ruamel.yaml
    in a fraction of the time (it reads a comment a character at a time: 5 MB of them took 5 to 25 s)."""
    return quiet_comments(text) if sum(map(len, _COMMENT_LINES.findall(text))) > QUIET_FROM else text


def lacks_sources(watchlist: Watchlist) -> bool:
    """Whether ``watchlist`` has no sources and does not say that is meant."""
    return not watchlist.sources and not watchlist.allow_no_sources


def _parse_plain(text: str) -> Watchlist | None:
    """The watchlist if the fast reader takes ``text`` and it is valid; None when ruamel must decide."""
    try:
        data = load_plain(text)
    except NotPlain:
        return None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        return None
    try:
        watchlist = Watchlist.model_validate(data)
    except ValidationError:
        return None
    return None if cross_check(watchlist) else watchlist


def _parse_with_lines(text: str, filename: str) -> Watchlist:
    """Read ``text`` with ruamel.yaml, which keeps lines, and raise ConfigError with each problem's line."""
    # Deferred: only a watchlist the fast reader declines, or an invalid one, pays for importing ruamel.
    from ruamel.yaml import YAML
    from ruamel.yaml.comments import CommentedMap
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    deep = too_deep(text)  # ruamel recurses once per level (and takes seconds on '[[[[...' before it fails)
    if deep is not None:
        raise ConfigError(f"{filename}:{deep}: nesting deeper than {MAX_DEPTH} levels")
    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = False
    try:
        data = yaml.load(text)
    except RecursionError:  # only without libyaml, which says where the nesting goes too deep
        raise ConfigError(f"{filename}:1: nesting deeper than Python can read") from None
    except MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = mark.line + 1 if mark is not None else 1
        problem = " ".join(str(p) for p in (e.context, e.problem) if p) or str(e)
        raise ConfigError(f"{filename}:{line}: invalid YAML", [f"{filename}:{line}: {_one_line(problem)}"]) from None
    except YAMLError as e:
        raise ConfigError(f"{filename}: invalid YAML", [f"{filename}:1: {_one_line(str(e))}"]) from None
    if data is None:
        data = CommentedMap()
    if not isinstance(data, dict):
        raise ConfigError(f"{filename}:1: the watchlist must be a mapping",
                          [f"{filename}:1: the watchlist must be a mapping of sections (sources:, actors:, ...)"])
    try:
        watchlist = Watchlist.model_validate(_plain(data))
    except ValidationError as e:
        errors = [(tuple(err["loc"]), err["msg"]) for err in e.errors()]
        # A failed list item also fails its list's length rule; report only the most specific location.
        errors = [(loc, msg) for loc, msg in errors
                  if not any(other[:len(loc)] == loc and len(other) > len(loc) for other, _ in errors)]
        problems = [_problem(filename, data, loc, msg.removeprefix("Value error, ")) for loc, msg in errors]
        raise ConfigError(f"{filename}: {len(problems)} problem(s)", problems) from None
    found = [_problem(filename, data, loc, msg) for loc, msg in cross_check(watchlist)]
    if found:
        raise ConfigError(f"{filename}: {len(found)} problem(s)", found)
    return watchlist


def _problem(filename: str, data: Any, loc: Path, message: str) -> str:
    loc = tuple(part for part in loc if isinstance(part, int) or not _is_pydantic_tag(part))
    return f"{filename}:{line_of(data, loc)}: {dotted(loc) or '(top)'}: {_one_line(message)}"


def _is_pydantic_tag(part: str) -> bool:
    # Union members and validators appear in pydantic locations as tags such as 'function-after[...]'.
    return "[" in part or part in {"str", "int", "float", "bool", "timedelta"}


def line_of(data: Any, loc: Path) -> int:
    """The 1-based line of the deepest part of ``loc`` that exists in the loaded YAML."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    line, node = 1, data
    for part in loc:
        if isinstance(node, CommentedMap) and part in node:
            line = node.lc.key(part)[0] + 1
            node = node[part]
        elif isinstance(node, CommentedSeq) and isinstance(part, int) and 0 <= part < len(node):
            line = node.lc.item(part)[0] + 1
            node = node[part]
        else:
            break
    return line


def _plain(node: Any) -> Any:
    """ruamel's round-trip types as plain dicts, lists and scalars, for pydantic."""
    if isinstance(node, dict):
        return {str(k): _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    if isinstance(node, str):
        return str(node)
    return node


def _one_line(text: str) -> str:
    return " ".join(text.split())
