"""Summaries of repeated measurements: medians with min and max, and percentiles."""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Spread:
    """The median of repeated figures, with their min and max."""

    median: float
    low: float
    high: float
    count: int

    @classmethod
    def of(cls, values: Iterable[float]) -> Spread:
        values = sorted(values)
        if not values:
            raise ValueError("no values to summarise")
        return cls(median=statistics.median(values), low=values[0], high=values[-1], count=len(values))

    def scaled(self, factor: float) -> Spread:
        return Spread(self.median * factor, self.low * factor, self.high * factor, self.count)

    def text(self, digits: int = 2, unit: str = "") -> str:
        if self.low == self.high:
            return f"{self.median:.{digits}f}{unit}"
        return f"{self.median:.{digits}f}{unit} ({self.low:.{digits}f}–{self.high:.{digits}f})"


def percentile(sorted_values: list[float], fraction: float) -> float:
    """Nearest-rank percentile of an ascending list (p99 of 2,000 samples is the 1,980th)."""
    if not sorted_values:
        raise ValueError("no values")
    rank = math.ceil(round(fraction * len(sorted_values), 9))
    return sorted_values[min(max(rank, 1), len(sorted_values)) - 1]
