"""A safe evaluator for derived indicators: arithmetic over other indicators' codes.

The expression is parsed with :mod:`ast` and walked node by node; only numbers, indicator codes,
``+ - * /``, unary minus/plus and parentheses are accepted, so nothing can be called, imported or
looked up (``eval`` is never used). Arithmetic is done in Decimal.
"""

from __future__ import annotations

import ast
from decimal import Decimal, DivisionByZero, InvalidOperation

_OPS = {ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b,
        ast.Mult: lambda a, b: a * b, ast.Div: lambda a, b: a / b}


class FormulaError(ValueError):
    pass


def parse(text: str) -> ast.Expression:
    if len(text) > 300:
        raise FormulaError("too long")
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as exc:
        raise FormulaError(str(exc)) from None
    for node in ast.walk(tree):
        if isinstance(node, (ast.Expression, ast.BinOp, ast.UnaryOp, ast.Name, ast.Load)):
            if isinstance(node, ast.BinOp) and type(node.op) not in _OPS:
                raise FormulaError("operator")
            if isinstance(node, ast.UnaryOp) and not isinstance(node.op, (ast.USub, ast.UAdd)):
                raise FormulaError("operator")
            continue
        if type(node) in _OPS or isinstance(node, (ast.USub, ast.UAdd)):
            continue
        if isinstance(node, ast.Constant) and type(node.value) in (int, float):
            continue
        raise FormulaError(type(node).__name__)
    return tree


def names(text: str) -> set[str]:
    return {n.id for n in ast.walk(parse(text)) if isinstance(n, ast.Name)}


def evaluate(text: str, values: dict[str, Decimal]) -> Decimal | None:
    """The value, or None when an input is missing or a division by zero occurs."""
    tree = parse(text)

    def walk(node):
        if isinstance(node, ast.Expression):
            return walk(node.body)
        if isinstance(node, ast.Constant):
            return Decimal(str(node.value))
        if isinstance(node, ast.Name):
            if values.get(node.id) is None:
                raise KeyError(node.id)
            return Decimal(values[node.id])
        if isinstance(node, ast.UnaryOp):
            v = walk(node.operand)
            return -v if isinstance(node.op, ast.USub) else v
        return _OPS[type(node.op)](walk(node.left), walk(node.right))

    try:
        return walk(tree)
    except (KeyError, DivisionByZero, InvalidOperation, ZeroDivisionError):
        return None
