"""How the report writes a number, one way everywhere: page, tables, charts' labels and the UI.

Counts with thousands separators (12,345), money to the cent (12,345.67), shares as percentages
to two decimals (0.18 %); what a value is comes from its type in the figures (report_figures):
integers are counts, Decimal(·, 2) money, Decimal(·, 6) shares.
"""

from datetime import date, datetime
from decimal import Decimal

import polars as pl

MISSING = "–"


def count(value: int) -> str:
    return f"{value:,}"


def money(value: float | Decimal) -> str:
    return f"{value:,.2f}"


def percent(fraction: float | Decimal) -> str:
    return f"{float(fraction) * 100:,.2f} %"


def value_text(value: object, dtype: pl.DataType | None = None) -> str:
    """One cell as the report writes it, by its column's type (or its own, without one)."""
    if value is None:
        return MISSING
    if isinstance(dtype, pl.Decimal) and dtype.scale is not None and dtype.scale > 2:
        return percent(value)  # type: ignore[arg-type]
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return count(value)
    if isinstance(value, Decimal | float):
        return money(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def frame_text(frame: pl.DataFrame) -> list[list[str]]:
    """Every row of ``frame`` as the report writes it."""
    dtypes = list(frame.schema.values())
    return [[value_text(v, t) for v, t in zip(row, dtypes, strict=True)] for row in frame.iter_rows()]
