"""The watchlist query language: parse a query into a small tree of frozen nodes.

    query   := or
    or      := and ("OR" and)*
    and     := not (["AND"] not)*            adjacent parts are joined by AND
    not     := "NOT" not | near
    near    := primary ("NEAR/" n primary)*  n words apart at most, either order, same field
    primary := [field ":"] ( "(" or ")" | '"' words '"' | word ["*"] )
    field   := "title" | "text"

Operators are upper case (``and`` is an ordinary word). Words and phrases are matched with the
same spelling keys and endings as watchlist entries. See docs/matching.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from watcher.errors import QueryError

FIELDS = ("title", "text")
DEFAULT_NEAR = 5


@dataclass(frozen=True, slots=True)
class Term:
    """A word or a quoted phrase; ``prefix`` when it ended with ``*``."""

    text: str
    position: int
    prefix: bool = False
    field: str | None = None


@dataclass(frozen=True, slots=True)
class Not:
    """True when ``item`` is false."""

    item: Query


@dataclass(frozen=True, slots=True)
class And:
    """True when every part is true."""

    items: tuple[Query, ...]


@dataclass(frozen=True, slots=True)
class Or:
    """True when any part is true."""

    items: tuple[Query, ...]


@dataclass(frozen=True, slots=True)
class Near:
    """True when ``left`` and ``right`` occur at most ``distance`` words apart in one field."""

    left: Term
    right: Term
    distance: int


Query = Term | Not | And | Or | Near

_LEX = re.compile(r'\s+|(?P<lp>\()|(?P<rp>\))|(?P<quote>")|(?P<near>NEAR(?:/(?P<n>\d*))?)(?=[\s("]|$)'
                  r'|(?P<field>[A-Za-z_]+):(?=\S)|(?P<word>[^\s()"]+)')


@dataclass(frozen=True, slots=True)
class _Tok:
    kind: str  # lp rp phrase near field word and or not end
    value: str
    position: int
    number: int = 0


def _lex(text: str) -> list[_Tok]:
    out: list[_Tok] = []
    pos = 0
    while pos < len(text):
        m = _LEX.match(text, pos)
        if m is None:  # the pattern matches any character; kept for type checkers
            raise QueryError("unexpected character", position=pos)
        if m.group("quote"):
            close = text.find('"', pos + 1)
            if close < 0:
                raise QueryError("unclosed quote", position=pos)
            out.append(_Tok("phrase", text[pos + 1:close], pos))
            pos = close + 1
            continue
        kind = m.lastgroup
        if kind == "n":
            kind = "near"
        if kind == "near":
            digits = m.group("n")
            if digits == "":
                raise QueryError("NEAR/ needs a number of words", position=pos)
            out.append(_Tok("near", "NEAR", pos, int(digits) if digits else DEFAULT_NEAR))
        elif kind == "field":
            name = m.group("field")
            if name.lower() not in FIELDS:
                raise QueryError(f"unknown field {name!r} (use title: or text:)", position=pos)
            out.append(_Tok("field", name.lower(), pos))
        elif kind == "word":
            word = m.group("word")
            op = word if word in ("AND", "OR", "NOT") else None
            out.append(_Tok(op.lower() if op else "word", word, pos))
        elif kind in ("lp", "rp"):
            out.append(_Tok(kind, m.group(), pos))
        pos = m.end()
    out.append(_Tok("end", "", len(text)))
    return out


class _Parser:
    def __init__(self, text: str) -> None:
        self.toks = _lex(text)
        self.i = 0

    def peek(self) -> _Tok:
        return self.toks[self.i]

    def take(self) -> _Tok:
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def parse(self) -> Query:
        if self.peek().kind == "end":
            raise QueryError("empty query", position=0)
        node = self.or_()
        tok = self.peek()
        if tok.kind == "rp":
            raise QueryError("unbalanced ')'", position=tok.position)
        if tok.kind != "end":
            raise QueryError(f"unexpected {tok.value!r}", position=tok.position)
        return node

    def or_(self) -> Query:
        items = [self.and_()]
        while self.peek().kind == "or":
            self.take()
            items.append(self.and_())
        return items[0] if len(items) == 1 else Or(tuple(items))

    def and_(self) -> Query:
        items = [self.not_()]
        while self.peek().kind in ("and", "not", "word", "phrase", "lp", "field"):
            if self.peek().kind == "and":
                self.take()
            items.append(self.not_())
        return items[0] if len(items) == 1 else And(tuple(items))

    def not_(self) -> Query:
        if self.peek().kind == "not":
            self.take()
            return Not(self.not_())
        return self.near()

    def near(self) -> Query:
        left = self.primary(None)
        while self.peek().kind == "near":
            op = self.take()
            right = self.primary(None)
            if not isinstance(left, Term) or not isinstance(right, Term):
                raise QueryError("NEAR joins two words or phrases", position=op.position)
            left = Near(left, right, op.number)
        return left

    def primary(self, field: str | None) -> Query:
        tok = self.take()
        if tok.kind == "field":
            if field is not None:
                raise QueryError("a field inside a field", position=tok.position)
            return self.primary(tok.value)
        if tok.kind == "lp":
            node = self.or_()
            close = self.take()
            if close.kind != "rp":
                raise QueryError("unclosed '('", position=tok.position)
            return _with_field(node, field) if field else node
        if tok.kind == "phrase":
            return _term(tok.value, tok.position + 1, field)
        if tok.kind == "word":
            return _term(tok.value, tok.position, field)
        what = "end of query" if tok.kind == "end" else repr(tok.value)
        raise QueryError(f"expected a word, a phrase or '(' but found {what}", position=tok.position)


def _term(text: str, position: int, field: str | None) -> Term:
    prefix = text.endswith("*")
    body = text[:-1] if prefix else text
    star = body.find("*")
    if star >= 0:
        raise QueryError("'*' only at the end of a word", position=position + star)
    if not any(c.isalnum() for c in body):
        raise QueryError(f"{text!r} has no letters or digits", position=position)
    return Term(body.strip(), position, prefix, field)


def _with_field(node: Query, field: str) -> Query:
    if isinstance(node, Term):
        return node if node.field else Term(node.text, node.position, node.prefix, field)
    if isinstance(node, Not):
        return Not(_with_field(node.item, field))
    if isinstance(node, Near):
        left, right = _with_field(node.left, field), _with_field(node.right, field)
        assert isinstance(left, Term) and isinstance(right, Term)
        return Near(left, right, node.distance)
    items = tuple(_with_field(i, field) for i in node.items)
    return And(items) if isinstance(node, And) else Or(items)


def parse_query(text: str) -> Query:
    """Parse a watchlist query; raise QueryError(position=0-based offset) when malformed."""
    return _Parser(text).parse()


def terms(node: Query) -> list[Term]:
    """Every term of a query, left to right."""
    if isinstance(node, Term):
        return [node]
    if isinstance(node, Not):
        return terms(node.item)
    if isinstance(node, Near):
        return [node.left, node.right]
    return [t for item in node.items for t in terms(item)]
