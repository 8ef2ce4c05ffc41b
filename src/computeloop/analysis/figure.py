"""A figure of a source text and how to read the model's value for it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from computeloop.results import Results

Op = Literal["approx", "at_least", "more_than", "less_than", "between", "equals"]
Value = float | str


class MissingFigure(Exception):
    """The scenario lacks what a figure needs (e.g. no NVIDIA compute deal)."""


@dataclass(frozen=True)
class Figure:
    """One figure of the article and how to get the model's value for it."""

    id: str
    text: str
    article: Value
    unit: str
    basis: Literal["model", "derived", "input"]
    extract: Callable[[Results], Value]
    op: Op = "approx"
    tolerance: float = 0.05  # relative, for op == "approx"
    high: float | None = None  # upper bound, for op == "between"
