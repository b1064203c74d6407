"""Indicator formulas: small arithmetic expressions over an area's metrics, checked before they are saved.

A formula may use numbers, metric names (metrics.CATALOGUE), + - * / ( ), and the functions
min(a, b, …), max(a, b, …) and default(x, value) (value where x has no data). A metric without data
(a rate with nothing to count) makes the whole formula "no data" (None) unless `default` covers it,
and so does a division by zero: a figure is never invented.

Python's own parser reads the expression; only the node types listed here are evaluated, so a
formula can never reach an attribute, a call of anything else, or a name outside the metrics.
"""

from __future__ import annotations

import ast
import math
import operator

from django.utils.translation import gettext as _

_BINARY = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv}
_FUNCTIONS = {"min", "max", "default"}
MAX_LENGTH = 300


class FormulaError(ValueError):
    pass


def parse(formula: str, names: set[str] | frozenset[str]) -> ast.Expression:
    """The checked syntax tree of a formula; FormulaError (translated) says what is wrong."""
    text = (formula or "").strip()
    if not text:
        raise FormulaError(_("The formula is empty."))
    if len(text) > MAX_LENGTH:
        raise FormulaError(_("The formula is longer than %(n)s characters.") % {"n": MAX_LENGTH})
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError:
        raise FormulaError(
            _("The formula “%(formula)s” is not a valid expression.") % {"formula": text}
        ) from None
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            if node.id not in names and node.id not in _FUNCTIONS:
                raise FormulaError(_("Unknown figure “%(name)s” in the formula.") % {"name": node.id})
        elif isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name) or node.func.id not in _FUNCTIONS or node.keywords:
                raise FormulaError(_("Only min(), max() and default() may be called in a formula."))
            if node.func.id == "default" and len(node.args) != 2:
                raise FormulaError(_("default() takes a figure and the value to use without data."))
            if not node.args:
                raise FormulaError(_("min() and max() need at least one value."))
        elif isinstance(node, ast.Constant):
            if not isinstance(node.value, int | float) or isinstance(node.value, bool):
                raise FormulaError(_("Only numbers may be written in a formula."))
        elif not isinstance(
            node,
            ast.Expression | ast.BinOp | ast.UnaryOp | ast.Load | ast.USub | ast.UAdd | ast.operator,
        ):
            raise FormulaError(_("The formula uses something other than figures, numbers and + − × ÷."))
        if isinstance(node, ast.BinOp) and type(node.op) not in _BINARY:
            raise FormulaError(_("Only + − × ÷ may be used in a formula."))
    return tree


def evaluate(tree: ast.Expression, values: dict[str, float | None]) -> float | None:
    """The formula's value for one area; None when a figure it needs has no data."""
    try:
        result = _eval(tree.body, values)
    except _NoData:
        return None
    if result is None or not math.isfinite(result):
        return None
    return float(result)


class _NoData(Exception):
    pass


def _eval(node, values):
    if isinstance(node, ast.Constant):
        return float(node.value)
    if isinstance(node, ast.Name):
        value = values.get(node.id)
        if value is None:
            raise _NoData
        return float(value)
    if isinstance(node, ast.UnaryOp):
        value = _eval(node.operand, values)
        return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.BinOp):
        left, right = _eval(node.left, values), _eval(node.right, values)
        if isinstance(node.op, ast.Div) and right == 0:
            raise _NoData
        return _BINARY[type(node.op)](left, right)
    if isinstance(node, ast.Call):
        name = node.func.id
        if name == "default":
            try:
                return _eval(node.args[0], values)
            except _NoData:
                return _eval(node.args[1], values)
        args = [_eval(a, values) for a in node.args]
        return min(args) if name == "min" else max(args)
    raise _NoData  # parse() lets nothing else through


def names_in(formula: str) -> set[str]:
    tree = ast.parse(formula, mode="eval")
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and n.id not in _FUNCTIONS}
