"""Quarters and the quarterly time axis."""

from __future__ import annotations

import datetime as dt
import re
from functools import total_ordering
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, GetCoreSchemaHandler, model_validator
from pydantic_core import core_schema

_QUARTER_RE = re.compile(r"^\s*(\d{4})\s*-?\s*Q([1-4])\s*$", re.IGNORECASE)


@total_ordering
class Quarter:
    """A calendar quarter such as ``2026Q3``.

    Parsed from ``"2026Q3"``, ``"2026-Q3"`` or an ISO date (the quarter holding it).

    >>> Quarter.parse("2026-08-15")
    Quarter('2026Q3')
    >>> Quarter.parse("2026Q3") + 2
    Quarter('2027Q1')
    """

    __slots__ = ("ordinal",)

    def __init__(self, year: int, q: int) -> None:
        if not 1 <= q <= 4:
            raise ValueError(f"quarter number must be 1-4, got {q}")
        if not 1900 <= year <= 2200:
            raise ValueError(f"year must be between 1900 and 2200, got {year}")
        self.ordinal = year * 4 + (q - 1)

    @property
    def year(self) -> int:
        return self.ordinal // 4

    @property
    def q(self) -> int:
        return self.ordinal % 4 + 1

    @classmethod
    def parse(cls, value: Any) -> Quarter:
        if isinstance(value, Quarter):
            return value
        if isinstance(value, dt.date):
            return cls(value.year, (value.month - 1) // 3 + 1)
        if isinstance(value, str):
            m = _QUARTER_RE.match(value)
            if m:
                return cls(int(m.group(1)), int(m.group(2)))
            try:
                return cls.parse(dt.date.fromisoformat(value.strip()))
            except ValueError:
                pass
        raise ValueError(
            f"must be a quarter like '2026Q3' or a date like '2026-07-01', got {value!r}"
        )

    def __add__(self, n: int) -> Quarter:
        o = self.ordinal + n
        return Quarter(o // 4, o % 4 + 1)

    def __sub__(self, other: Quarter) -> int:
        return self.ordinal - other.ordinal

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Quarter) and self.ordinal == other.ordinal

    def __lt__(self, other: Quarter) -> bool:
        return self.ordinal < other.ordinal

    def __hash__(self) -> int:
        return hash(self.ordinal)

    def __str__(self) -> str:
        return f"{self.year}Q{self.q}"

    def __repr__(self) -> str:
        return f"Quarter('{self}')"

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_plain_validator_function(
            cls.parse,
            serialization=core_schema.plain_serializer_function_ser_schema(str),
            json_schema_input_schema=core_schema.str_schema(),
        )


class TimeAxis(BaseModel):
    """The simulated quarters, ``start`` to ``end`` inclusive."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    start: Quarter = Field(
        default=Quarter(2025, 1),
        description="first simulated quarter",
        json_schema_extra={"unit": "quarter"},
    )
    end: Quarter = Field(
        default=Quarter(2032, 4),
        description="last simulated quarter (at most 400 quarters after start)",
        json_schema_extra={"unit": "quarter"},
    )

    @model_validator(mode="after")
    def _ordered(self) -> TimeAxis:
        if self.end < self.start:
            raise ValueError(f"end {self.end} is before start {self.start}")
        if self.end - self.start + 1 > 400:
            raise ValueError(f"at most 400 quarters, got {self.end - self.start + 1}")
        return self

    @property
    def n(self) -> int:
        return self.end - self.start + 1

    def index(self, quarter: Quarter) -> int:
        """Position of ``quarter`` on the axis (may be outside 0..n-1)."""
        return quarter - self.start

    def contains(self, quarter: Quarter) -> bool:
        return self.start <= quarter <= self.end

    def labels(self) -> list[str]:
        return [str(self.start + i) for i in range(self.n)]
