"""The VKScript subset a bot needs for `execute`.

Supported: statements separated by `;`, `var name = EXPR;`, `return EXPR;`, bare `EXPR;`, where EXPR is
an API call `API.section.method({...})` (or with no argument), an array `[EXPR, ...]`, an object
`{"key": EXPR, ...}`, a variable name or a JSON literal.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from vk_emulator.errors import VKError


@dataclass(frozen=True)
class Literal:
    value: Any


@dataclass(frozen=True)
class VarRef:
    name: str


@dataclass(frozen=True)
class ArrayExpr:
    items: tuple[Expr, ...]


@dataclass(frozen=True)
class ObjectExpr:
    items: tuple[tuple[str, Expr], ...]


@dataclass(frozen=True)
class Call:
    method: str
    argument: Expr | None


Expr = Literal | VarRef | ArrayExpr | ObjectExpr | Call


@dataclass(frozen=True)
class Statement:
    kind: str  # "var", "return" or "expr"
    expr: Expr
    name: str = ""


_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_METHOD = re.compile(r"API((?:\.[A-Za-z_][A-Za-z0-9_]*)+)")
_KEYWORDS = frozenset({"var", "return", "true", "false", "null", "API"})
_decoder = json.JSONDecoder()


class _Parser:
    def __init__(self, code: str) -> None:
        self.code = code
        self.pos = 0

    def fail(self, what: str) -> VKError:
        return VKError(12, f"{what} at position {self.pos}")

    def skip(self) -> None:
        code = self.code
        while self.pos < len(code):
            if code[self.pos].isspace():
                self.pos += 1
            elif code.startswith("//", self.pos):
                end = code.find("\n", self.pos)
                self.pos = len(code) if end < 0 else end + 1
            else:
                break

    def peek(self) -> str:
        self.skip()
        return self.code[self.pos] if self.pos < len(self.code) else ""

    def expect(self, char: str) -> None:
        if self.peek() != char:
            raise self.fail(f"expected {char!r}")
        self.pos += 1

    def word(self) -> str | None:
        self.skip()
        match = _IDENT.match(self.code, self.pos)
        return match.group(0) if match else None

    def program(self) -> list[Statement]:
        statements: list[Statement] = []
        while True:
            while self.peek() == ";":
                self.pos += 1
            if self.peek() == "":
                break
            statements.append(self.statement())
            if self.peek() not in (";", ""):
                raise self.fail("expected ';'")
        if not statements:
            raise VKError(12, "empty code")
        return statements

    def statement(self) -> Statement:
        word = self.word()
        if word == "var":
            self.pos += 3
            name = self.word()
            if name is None or name in _KEYWORDS:
                raise self.fail("expected a variable name")
            self.pos += len(name)
            self.expect("=")
            return Statement("var", self.expr(), name)
        if word == "return":
            self.pos += 6
            return Statement("return", self.expr())
        return Statement("expr", self.expr())

    def expr(self) -> Expr:
        char = self.peek()
        if char == "[":
            self.pos += 1
            items: list[Expr] = []
            if self.peek() == "]":
                self.pos += 1
                return ArrayExpr(())
            while True:
                items.append(self.expr())
                if self.peek() == ",":
                    self.pos += 1
                    continue
                self.expect("]")
                return ArrayExpr(tuple(items))
        if char == "{":
            return self.obj()
        if char == "":
            raise self.fail("unexpected end of code")
        match = _METHOD.match(self.code, self.pos)
        if match:
            self.pos = match.end()
            method = match.group(1)[1:]
            self.expect("(")
            argument: Expr | None = None
            if self.peek() != ")":
                argument = self.expr()
            self.expect(")")
            return Call(method, argument)
        word = self.word()
        if word is not None and word not in _KEYWORDS:
            self.pos += len(word)
            return VarRef(word)
        try:
            value, end = _decoder.raw_decode(self.code, self.pos)
        except ValueError as exc:
            raise self.fail("cannot parse expression") from exc
        self.pos = end
        return Literal(value)

    def obj(self) -> Expr:
        start = self.pos
        try:
            value, end = _decoder.raw_decode(self.code, self.pos)
            self.pos = end
            return Literal(value)
        except ValueError:
            self.pos = start
        self.expect("{")
        items: list[tuple[str, Expr]] = []
        if self.peek() == "}":
            self.pos += 1
            return ObjectExpr(())
        while True:
            if self.peek() == '"':
                key, end = _decoder.raw_decode(self.code, self.pos)
                self.pos = end
            else:
                word = self.word()
                if word is None:
                    raise self.fail("expected an object key")
                key = word
                self.pos += len(word)
            self.expect(":")
            items.append((str(key), self.expr()))
            if self.peek() == ",":
                self.pos += 1
                continue
            self.expect("}")
            return ObjectExpr(tuple(items))


def parse(code: str) -> list[Statement]:
    """Parse VKScript code into statements, raising error 12 when it cannot."""
    return _Parser(code).program()


def count_calls(node: Expr | list[Statement] | None) -> int:
    """Number of API calls in the code."""
    if node is None:
        return 0
    if isinstance(node, list):
        return sum(count_calls(s.expr) for s in node)
    if isinstance(node, Call):
        return 1 + count_calls(node.argument)
    if isinstance(node, ArrayExpr):
        return sum(count_calls(i) for i in node.items)
    if isinstance(node, ObjectExpr):
        return sum(count_calls(v) for _, v in node.items)
    return 0


CallFn = Callable[[str, dict[str, Any]], Any]


def run(statements: list[Statement], call: CallFn) -> Any:
    """Execute parsed statements; `call(method, args)` performs one API call."""
    variables: dict[str, Any] = {}

    def evaluate(expr: Expr) -> Any:
        if isinstance(expr, Literal):
            return expr.value
        if isinstance(expr, VarRef):
            if expr.name not in variables:
                raise VKError(13, f"undefined variable {expr.name}")
            return variables[expr.name]
        if isinstance(expr, ArrayExpr):
            return [evaluate(i) for i in expr.items]
        if isinstance(expr, ObjectExpr):
            return {k: evaluate(v) for k, v in expr.items}
        argument = {} if expr.argument is None else evaluate(expr.argument)
        if not isinstance(argument, dict):
            raise VKError(13, f"{expr.method} expects an object argument")
        return call(expr.method, argument)

    for statement in statements:
        value = evaluate(statement.expr)
        if statement.kind == "var":
            variables[statement.name] = value
        elif statement.kind == "return":
            return value
    raise VKError(12, "return statement is missing")


def to_form(value: Any) -> str:
    """Render a JSON argument the way a form parameter would arrive."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, list):
        if all(not isinstance(v, dict | list) for v in value):
            return ",".join(to_form(v) for v in value)
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)
