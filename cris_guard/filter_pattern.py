"""Offline evaluation of the CloudWatch Logs JSON filter-pattern subset that cris-guard's alarms use.

Why hand-written: no library evaluates CloudWatch Logs filter patterns offline. Checked (2026-11)
against the PyPI name list (nothing matches "filter pattern" / "metric filter" for CloudWatch), moto
5.2.5 (``moto/logs/utils.py`` understands plain terms only and treats any JSON pattern as "matches
everything"), and the only implementation found in public code is an unpublished TypeScript repository.
The real service's ``TestMetricFilter`` API needs an AWS account, which the test suite does not have.

Supported syntax (from the CloudWatch Logs "Filter pattern syntax" page, JSON section)::

    pattern    := "{" expr "}"
    expr       := and_expr ( "||" and_expr )*          # && binds tighter than ||
    and_expr   := term ( "&&" term )*
    term       := "(" expr ")" | selector test
    selector   := "$" ( "." name | "[" digits "]" )*    # name: letters, digits, "-" and "_"
    test       := ( "=" | "!=" ) value | "NOT EXISTS" | "IS NULL"
    value      := '"' chars '"' | bare-word               # "*" is a wildcard inside either form

Semantics, as documented by AWS, and the one place where the documentation is silent:

* Matching is case-sensitive; ``*`` matches any run of characters (so ``= "*"`` means "present with a
  value"). Numbers in the event are compared by their JSON text (``400`` equals ``"400"``).
* A selector must point at a value node (string, number or boolean). If it points at an object or
  array, both ``=`` and ``!=`` are false ("the filter will not be applied"). ``null`` only satisfies
  ``IS NULL``.
* ``NOT EXISTS`` is true only when the property is absent.
* A comparison on an *absent* property: the AWS pages do not say what ``!=`` does then. The default
  (``absent_not_equal_matches=False``) treats it like the documented object/array case: false. The
  patterns cris-guard writes never depend on the answer (each ``!=`` is guarded by ``= "*"`` or paired
  with ``NOT EXISTS``), and the tests evaluate them under both answers.

Anything else (numeric ``<``/``>``, ``IS TRUE``, regex ``%...%``, text or space-delimited patterns)
raises :class:`UnsupportedPattern`, so a test cannot silently pass on syntax this module does not know.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Union

__all__ = ["UnsupportedPattern", "compile_pattern", "matches"]


class UnsupportedPattern(ValueError):
    """The pattern is malformed or uses syntax outside the supported subset."""


_ABSENT = object()

_TOKEN = re.compile(
    r"""
    \s*(?:
      (?P<lbrace>\{) | (?P<rbrace>\}) | (?P<lparen>\() | (?P<rparen>\)) |
      (?P<and>&&) | (?P<or>\|\|) | (?P<ne>!=) | (?P<eq>=) |
      (?P<selector>\$(?:\.[A-Za-z0-9_-]+|\[[0-9]+\])*) |
      (?P<string>"(?:[^"\\]|\\.)*") |
      (?P<word>[A-Za-z0-9_.*:/@+-]+)
    )""",
    re.VERBOSE,
)


@dataclass(frozen=True)
class _Compare:
    path: tuple[str | int, ...]
    op: str  # "=", "!=", "NOT EXISTS", "IS NULL"
    value: str | None = None


@dataclass(frozen=True)
class _And:
    left: _Node
    right: _Node


@dataclass(frozen=True)
class _Or:
    left: _Node
    right: _Node


_Node = Union[_Compare, _And, _Or]


def _tokenize(pattern: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    pos = 0
    text = pattern.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise UnsupportedPattern(f"unsupported syntax at offset {pos}: {text[pos:pos + 30]!r}")
        kind = m.lastgroup
        assert kind is not None
        tokens.append((kind, m.group(kind)))
        pos = m.end()
    return tokens


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]]):
        self.tokens = tokens
        self.i = 0

    def peek(self, offset: int = 0) -> tuple[str, str] | None:
        j = self.i + offset
        return self.tokens[j] if j < len(self.tokens) else None

    def take(self, kind: str, value: str | None = None) -> str:
        tok = self.peek()
        if tok is None or tok[0] != kind or (value is not None and tok[1] != value):
            want = value or kind
            raise UnsupportedPattern(f"expected {want!r} but found {tok[1] if tok else 'end of pattern'!r}")
        self.i += 1
        return tok[1]

    def parse(self) -> _Node:
        self.take("lbrace")
        node = self.expr()
        self.take("rbrace")
        if self.peek() is not None:
            raise UnsupportedPattern(f"unexpected {self.peek()[1]!r} after the closing brace")  # type: ignore[index]
        return node

    def expr(self) -> _Node:
        node = self.and_expr()
        while self.peek() and self.peek()[0] == "or":  # type: ignore[index]
            self.i += 1
            node = _Or(node, self.and_expr())
        return node

    def and_expr(self) -> _Node:
        node = self.term()
        while self.peek() and self.peek()[0] == "and":  # type: ignore[index]
            self.i += 1
            node = _And(node, self.term())
        return node

    def term(self) -> _Node:
        tok = self.peek()
        if tok and tok[0] == "lparen":
            self.i += 1
            node = self.expr()
            self.take("rparen")
            return node
        path = _parse_selector(self.take("selector"))
        tok = self.peek()
        if tok is None:
            raise UnsupportedPattern("a selector must be followed by a test")
        if tok[0] in ("eq", "ne"):
            self.i += 1
            op = "=" if tok[0] == "eq" else "!="
            value_tok = self.peek()
            if value_tok is None or value_tok[0] not in ("string", "word"):
                raise UnsupportedPattern(f"expected a value after {op!r}")
            self.i += 1
            value = json.loads(value_tok[1]) if value_tok[0] == "string" else value_tok[1]
            return _Compare(path, op, value)
        if tok == ("word", "NOT") and self.peek(1) == ("word", "EXISTS"):
            self.i += 2
            return _Compare(path, "NOT EXISTS")
        if tok == ("word", "IS") and self.peek(1) == ("word", "NULL"):
            self.i += 2
            return _Compare(path, "IS NULL")
        raise UnsupportedPattern(f"unsupported test {tok[1]!r} (supported: =, !=, NOT EXISTS, IS NULL)")


def _parse_selector(selector: str) -> tuple[str | int, ...]:
    parts: list[str | int] = []
    for name, index in re.findall(r"\.([A-Za-z0-9_-]+)|\[([0-9]+)\]", selector[1:]):
        parts.append(name if name else int(index))
    return tuple(parts)


def _resolve(event: Any, path: tuple[str | int, ...]) -> Any:
    node = event
    for part in path:
        if isinstance(part, int):
            if not isinstance(node, list) or part >= len(node):
                return _ABSENT
            node = node[part]
        else:
            if not isinstance(node, Mapping) or part not in node:
                return _ABSENT
            node = node[part]
    return node


def _wildcard(value: str) -> re.Pattern[str]:
    return re.compile("".join(".*" if c == "*" else re.escape(c) for c in value), re.DOTALL)


def _scalar_text(value: Any) -> str | None:
    """The text a comparison sees, or None when the node is not a comparable value node."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)):
        return json.dumps(value)
    return None  # object, array or null


class CompiledPattern:
    """A parsed pattern; call :meth:`matches` with a log event (JSON text or an already-parsed object)."""

    def __init__(self, pattern: str):
        self.pattern = pattern
        self._root = _Parser(_tokenize(pattern)).parse()

    def matches(self, event: str | Mapping[str, Any], *, absent_not_equal_matches: bool = False) -> bool:
        if isinstance(event, str):
            try:
                event = json.loads(event)
            except json.JSONDecodeError:
                return False  # a JSON pattern never matches a non-JSON event
        return self._eval(self._root, event, absent_not_equal_matches)

    def _eval(self, node: _Node, event: Any, absent_ne: bool) -> bool:
        if isinstance(node, _And):
            return self._eval(node.left, event, absent_ne) and self._eval(node.right, event, absent_ne)
        if isinstance(node, _Or):
            return self._eval(node.left, event, absent_ne) or self._eval(node.right, event, absent_ne)
        found = _resolve(event, node.path)
        if node.op == "NOT EXISTS":
            return found is _ABSENT
        if node.op == "IS NULL":
            return found is None
        if found is _ABSENT:
            return node.op == "!=" and absent_ne
        text = _scalar_text(found)
        if text is None:
            return False
        assert node.value is not None
        equal = bool(_wildcard(node.value).fullmatch(text))
        return equal if node.op == "=" else not equal


def compile_pattern(pattern: str) -> CompiledPattern:
    return CompiledPattern(pattern)


def matches(pattern: str, event: str | Mapping[str, Any], *, absent_not_equal_matches: bool = False) -> bool:
    """True when ``event`` matches the JSON filter ``pattern`` (see the module docstring for semantics)."""
    return compile_pattern(pattern).matches(event, absent_not_equal_matches=absent_not_equal_matches)
