"""Period keys per frequency: "2025", "2025Q3", "2025-07"."""

from __future__ import annotations

import re

from duban.indicators.models import Frequency

_PATTERNS = {
    Frequency.YEAR: re.compile(r"^(\d{4})$"),
    Frequency.QUARTER: re.compile(r"^(\d{4})Q([1-4])$"),
    Frequency.MONTH: re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$"),
}


def year_of(frequency: str, key: str) -> int | None:
    """The year of a well-formed key of this frequency, else None."""
    match = _PATTERNS[frequency].match((key or "").strip().upper() if frequency == Frequency.QUARTER
                                       else (key or "").strip())
    return int(match.group(1)) if match else None


def normalise(key) -> str:
    return str(key or "").strip().upper()


def is_defined(indicator, key: str) -> bool:
    year = year_of(indicator.frequency, key)
    return year is not None and indicator.start_year <= year <= indicator.end_year


def all_periods(indicator) -> list[str]:
    years = range(indicator.start_year, indicator.end_year + 1)
    if indicator.frequency == Frequency.YEAR:
        return [str(y) for y in years]
    if indicator.frequency == Frequency.QUARTER:
        return [f"{y}Q{q}" for y in years for q in range(1, 5)]
    return [f"{y}-{m:02d}" for y in years for m in range(1, 13)]


def example(frequency: str) -> str:
    return {Frequency.YEAR: "2025", Frequency.QUARTER: "2025Q3", Frequency.MONTH: "2025-07"}[frequency]
