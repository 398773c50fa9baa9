"""A fast reader for the plain YAML most watchlists are written in, agreeing value for value with ruamel.yaml.

Speed layer: a watchlist of 500 actors and 1,000 sources is read in 0.04 s of CPU instead of 0.86 s through
ruamel.yaml (22x; ``python bench/config_speed.py``, both readers in the same run), on every ``check``, reload
and service start. ``tests/test_config_fastyaml.py`` holds it equal to the ruamel reading: the same values,
the same watchlist and the same messages, on shipped, generated and damaged watchlists.

ruamel.yaml's round-trip loader keeps the line of every key, which error messages need, but it is pure Python
and takes most of a second on a watchlist of a thousand sources. libyaml (through PyYAML's C parser) reads the
same file twenty times faster, but resolves plain scalars by YAML 1.1 (``no`` and ``off`` are booleans, ``010``
is octal, ``1:30`` is ninety), and PyYAML takes duplicate keys silently. So this reader uses libyaml only for
its events and builds the values itself with the YAML 1.2 rules ruamel applies, and it gives up (raises
:class:`NotPlain`) on anything whose meaning it does not reproduce exactly: tags, anchored scalars (ruamel
gives them types of its own), merge keys, directives, several documents, duplicate or non-string keys, numbers
other than plain decimals, timestamps, tabs, the line breaks YAML 1.1 and 1.2 disagree on, and anything
libyaml refuses. The caller then reads the file with ruamel, which also says where a mistake is. Anchored lists and
mappings, and aliases to them, are read: watchlists share context lists that way.

libyaml's events also answer two questions cheaply before ruamel is asked (which recurses once per level of
nesting, and reads a comment character by character): how deep the text nests (:func:`too_deep`), and which
comments can be cut short without changing a value, a line or a column (:func:`quiet_comments`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from yaml import YAMLError
from yaml.events import (
    AliasEvent,
    DocumentEndEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
    StreamStartEvent,
)

try:
    from yaml._yaml import CParser
except ImportError:  # PyYAML built without libyaml: every watchlist goes to ruamel, correct but slow
    CParser = None


MAX_DEPTH = 50  # levels of nested lists and mappings; a watchlist needs five or six
_LIBYAML_TOO_DEEP = "exceeded maximum nesting depth"  # libyaml's own limit (1,000): '[[[[...' stops its scanner first


class NotPlain(Exception):
    """The text uses YAML this reader does not reproduce exactly; read it with ruamel.yaml instead."""


# ruamel.yaml's YAML 1.2 implicit resolvers (ruamel/yaml/resolver.py), as one pattern per tag.
_NULL = frozenset({"", "~", "null", "Null", "NULL"})
_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_DECIMAL = re.compile(r"[-+]?[0-9]+")
_NOT_A_STRING = re.compile(r"""(?:
     [-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?       # float
    |[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
    |[-+]?\.[0-9_]+(?:[eE][-+][0-9]+)?
    |[-+]?\.(?:inf|Inf|INF)
    |\.(?:nan|NaN|NAN)
    |[-+]?0b[0-1_]+                                          # int
    |[-+]?0o?[0-7_]+
    |[-+]?[0-9_]+
    |[-+]?0x[0-9a-fA-F_]+
    |<<                                                      # merge
    |=                                                       # value
    |[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]              # timestamp
    |[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?
     (?:[Tt]|[\ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?
     (?:[\ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?
    )$""", re.X)
_MAY_NOT_BE_A_STRING = frozenset("-+0123456789.<=")
# YAML 1.1 breaks lines at NEL, LS and PS, 1.2 does not. libyaml takes a tab after 'key:' and a comment right
# after a block scalar's header ('>#'), where ruamel refuses both. A byte order mark and directives (%YAML 1.1
# switches ruamel to 1.1) are left to ruamel as well. Text that merely looks like these only costs speed.
_DISPUTED = re.compile("[\t\x85\u2028\u2029\ufeff]|^%|[|>][-+0-9]*#", re.M)
_AWAITING_KEY = object()
# Lines that hold nothing but a comment (spaces before it: a tab there is left to the parsers to judge).
_COMMENT_LINE = re.compile(r" *#")
_EMPTY, _CUT, _KEEP = 0, 1, 2  # what quiet_comments does with a comment line
# Line breaks other than LF and CRLF: YAML 1.1 and 1.2 count lines differently there (and a lone CR is one).
_OTHER_BREAKS = re.compile("\r(?!\n)|[\x85\u2028\u2029]")


def plain_scalar(value: str) -> Any:
    """What ruamel.yaml (YAML 1.2) makes of an untagged plain scalar: None, a bool, a decimal int or the text."""
    if value in _NULL:
        return None
    if value in _BOOL:
        return _BOOL[value]
    if value[0] in _MAY_NOT_BE_A_STRING:
        if _DECIMAL.fullmatch(value):
            return int(value)
        if _NOT_A_STRING.match(value):
            raise NotPlain(f"{value!r} is a number, a timestamp or a merge key other than a plain decimal")
    return value


def load_plain(text: str) -> Any:
    """The single document in ``text`` as dicts, lists, str, int, bool and None, or NotPlain."""
    if CParser is None:
        raise NotPlain("PyYAML has no libyaml parser here")
    if _DISPUTED.search(text):
        raise NotPlain("a directive, a tab, a byte order mark or a YAML 1.1 line break")
    try:
        return _build(CParser(text))
    except (YAMLError, UnicodeError, ValueError) as e:
        raise NotPlain(str(e)) from None


def _build(parser: Any) -> Any:
    # An explicit stack rather than recursion: each collection being filled, and for a mapping the key
    # whose value comes next (or _AWAITING_KEY).
    stack: list[dict[str, Any] | list[Any]] = []
    keys: list[Any] = []
    anchors: list[str | None] = []  # the anchor of each collection on the stack
    done: dict[str, Any] = {}  # anchored collections already complete; an alias to an open one would be a cycle
    root: Any = None
    documents = 0
    while True:
        event = parser.get_event()
        kind = type(event)
        value: Any
        if kind is ScalarEvent:
            if event.anchor is not None or event.tag is not None:
                raise NotPlain("an anchored or tagged scalar")
            value = plain_scalar(event.value) if event.implicit[0] else event.value
        elif kind is MappingStartEvent or kind is SequenceStartEvent:
            if event.tag is not None:
                raise NotPlain("a tagged collection")
            if event.anchor is not None and (event.anchor in done or event.anchor in anchors):
                raise NotPlain("an anchor defined twice")
            stack.append({} if kind is MappingStartEvent else [])
            keys.append(_AWAITING_KEY)
            anchors.append(event.anchor)
            continue
        elif kind is MappingEndEvent or kind is SequenceEndEvent:
            value = stack.pop()
            keys.pop()
            anchor = anchors.pop()
            if anchor is not None:
                done[anchor] = value
        elif kind is AliasEvent:
            if event.anchor not in done:
                raise NotPlain("an alias to an anchor not defined, or to a collection that holds it")
            value = done[event.anchor]
        elif kind is DocumentStartEvent:
            documents += 1
            if documents > 1 or event.version is not None or event.tags:
                raise NotPlain("several documents or a directive")
            continue
        elif kind is StreamStartEvent or kind is DocumentEndEvent:
            continue
        elif kind is StreamEndEvent:
            return root
        else:
            raise NotPlain(f"an unexpected {kind.__name__}")
        if not stack:
            root = value
            continue
        top = stack[-1]
        if type(top) is list:
            top.append(value)
        elif keys[-1] is _AWAITING_KEY:
            if type(value) is not str or value in top:
                raise NotPlain("a key that is not a string, or a duplicate key")
            keys[-1] = value
        else:
            top[keys[-1]] = value
            keys[-1] = _AWAITING_KEY


def too_deep(text: str) -> int | None:
    """The 1-based line where lists and mappings first nest deeper than ``MAX_DEPTH``, or None (also when the text
    is invalid for another reason first, or libyaml is not here: the caller's parser then says what it finds)."""
    if CParser is None:
        return None
    depth = 0
    try:
        for event in _events(CParser(text)):
            kind = type(event)
            if kind is MappingStartEvent or kind is SequenceStartEvent:
                depth += 1
                if depth > MAX_DEPTH:
                    return int(event.start_mark.line) + 1
            elif kind is MappingEndEvent or kind is SequenceEndEvent:
                depth -= 1
    except YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        if _LIBYAML_TOO_DEEP in str(getattr(e, "problem", "")) and mark is not None:
            return int(mark.line) + 1
    except (UnicodeError, ValueError):
        pass
    return None


def quiet_comments(text: str) -> str:
    """``text`` with its lines that hold only a comment emptied: the same values, and every line where it was.

    A line that starts with ``#`` inside a block or quoted scalar is text, not a comment: lines within a scalar
    that spans several lines (as libyaml reads it) are kept. An empty line after a block scalar would be part of
    it (``|+`` keeps trailing lines), so a comment there is only cut to its ``#``; so is every comment of a text
    libyaml cannot read whole (an empty line may join what a comment separates), up to the last event it read.
    """
    if CParser is None or _OTHER_BREAKS.search(text):
        return text
    lines = text.split("\n")  # a CRLF line keeps its CR
    how = bytearray(len(lines) + 1)  # per line: _EMPTY it, _CUT it to its '#', or _KEEP it (within a scalar)
    known_until, previous_end, block_end = len(lines), 0, None
    parser = CParser(text)
    try:
        while True:
            event = parser.get_event()
            start, end = event.start_mark.line, event.end_mark.line
            if block_end is not None:  # the lines from a block scalar's end to the next event: cut, not emptied
                for i in range(block_end, start + 1):
                    how[i] = how[i] or _CUT
            block_end = end if type(event) is ScalarEvent and event.style in ("|", ">") else None
            if type(event) is ScalarEvent and end > start:
                how[start:end + 1] = bytes([_KEEP]) * (end + 1 - start)
            previous_end = end
            if type(event) is StreamEndEvent:
                break
    except (YAMLError, UnicodeError, ValueError):
        known_until = previous_end
        how = bytearray(b or _CUT for b in how)
    for i in range(min(known_until, len(lines))):
        line = lines[i]
        if how[i] != _KEEP and (found := _COMMENT_LINE.match(line)) is not None:
            lines[i] = ("" if how[i] == _EMPTY else found.group()) + ("\r" if line.endswith("\r") else "")
    return "\n".join(lines)


def _events(parser: Any) -> Iterator[Any]:
    """libyaml's events up to the end of the stream."""
    while True:
        event = parser.get_event()
        if type(event) is StreamEndEvent:
            return
        yield event
