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
"""

from __future__ import annotations

import re
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
