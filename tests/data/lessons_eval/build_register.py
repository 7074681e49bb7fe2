"""Write register.xlsx, the lessons evaluation register, from projects.csv and lessons.csv.

The CSVs are the reviewable source; register.xlsx is what the evaluation reads with
`read_register`, exactly as a user's register is read. Run after editing a CSV:

    python tests/data/lessons_eval/build_register.py
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

from pmo_xl.sample import SamplePortfolio, write_register
from pmo_xl.schema import LESSONS, PROJECTS, Kind, SheetSchema

HERE = Path(__file__).resolve().parent
AS_OF = dt.date(2026, 9, 30)


def _typed(schema: SheetSchema, row: dict[str, str]) -> dict[str, object]:
    typed: dict[str, object] = {}
    for column in schema.columns:
        text = row.get(column.name, "")
        if text == "":
            continue
        if column.kind is Kind.DATE:
            typed[column.key] = dt.date.fromisoformat(text)
        elif column.kind in (Kind.MONEY, Kind.PERCENT):
            typed[column.key] = float(text)
        else:
            typed[column.key] = text
    return typed


def _rows(name: str, schema: SheetSchema) -> list[dict[str, object]]:
    with (HERE / name).open(encoding="utf-8", newline="") as stream:
        return [_typed(schema, row) for row in csv.DictReader(stream)]


def build(path: Path = HERE / "register.xlsx") -> Path:
    portfolio = SamplePortfolio(AS_OF, {"organisation": "Evaluation PMO", "report_date": AS_OF,
                                        "currency": "EUR", "stale_after_days": 30})
    portfolio.projects.extend(_rows("projects.csv", PROJECTS))
    portfolio.lessons.extend(_rows("lessons.csv", LESSONS))
    return write_register(path, portfolio)


if __name__ == "__main__":
    print(f"Wrote {build()}")
