"""Validation: every problem in a register, each tied to the cell that holds it.

`validate(register)` runs all rules of `pmo_xl.rules` in one pass, column-wise over whole
tables (no per-row loops), and returns a `Validation` whose findings name sheet, Excel row,
column, cell address, rule, severity and a message a PMO officer understands.
"""

from __future__ import annotations

import datetime as dt
import string
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .cells import sheet_prefix
from .metrics import project_metrics, resolve_as_of
from .reader import Register, Table
from .rules import PERFORMANCE_TOLERANCE, Severity, rule
from .schema import CLOSED, SHEETS, Kind

FINDING_FIELDS = ("sheet", "row", "column", "cell", "rule", "severity", "message")
_SHEET_ORDER = {s.name: i for i, s in enumerate(SHEETS)}


@dataclass(frozen=True)
class Finding:
    """One problem in one cell."""

    sheet: str
    row: int
    column: str
    cell: str
    rule: str
    severity: str
    message: str


@dataclass
class Validation:
    """All findings of one register, ordered by sheet, row and column."""

    findings: pd.DataFrame
    as_of: dt.date

    @property
    def errors(self) -> int:
        return int((self.findings["severity"] == Severity.ERROR).sum())

    @property
    def warnings(self) -> int:
        return int((self.findings["severity"] == Severity.WARNING).sum())

    def __len__(self) -> int:
        return len(self.findings)

    def __iter__(self) -> Iterator[Finding]:
        for record in self.findings[list(FINDING_FIELDS)].itertuples(index=False):
            yield Finding(*record)

    def to_dict(self) -> dict[str, object]:
        frame = self.findings[list(FINDING_FIELDS)]
        return {"findings": frame.to_dict("records"), "errors": self.errors,
                "warnings": self.warnings, "as_of": self.as_of.isoformat()}


def render(template: str, **fields: object) -> pd.Series | str:
    """str.format for whole columns: fields may be Series (aligned) or scalars.

    Series are shown as a person reads cells: dates as ISO, 1001 rather than 1001.0, and a
    format spec in the template ({cpi:.2f}) applies element-wise.
    """
    result: pd.Series | str = ""
    for literal, name, spec, _conv in string.Formatter().parse(template):
        result = result + literal
        if name is not None:
            result = result + _as_text(fields[name], spec or "")
    return result


def _as_text(value: object, spec: str) -> pd.Series | str:
    if not isinstance(value, pd.Series):
        return format(value, spec)
    if pd.api.types.is_datetime64_any_dtype(value):
        text = value.dt.strftime("%Y-%m-%d")
    elif spec:
        text = value.map(lambda x: format(x, spec), na_action="ignore")
    else:
        text = value.astype(object).map(_show, na_action="ignore")
    return text.astype(object).fillna("").astype(str)


def _show(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


class _Collector:
    """Accumulates findings as small DataFrames, one per rule and column."""

    def __init__(self) -> None:
        self.parts: list[pd.DataFrame] = []

    def add(self, table: Table, key: str, mask: pd.Series, rule_id: str, template: str,
            **fields: object) -> None:
        """Findings for the rows where mask holds; the message is rendered for those only."""
        mask = mask.fillna(False).astype(bool)
        if not mask.any():
            return
        key = key if table.has(key) else _fallback_key(table)
        rows = table.rows[mask]
        letter = table.letters[key]
        found = rule(rule_id)
        messages = render(template, **{name: value[mask] if isinstance(value, pd.Series)
                                       else value for name, value in fields.items()})
        self.parts.append(pd.DataFrame({
            "sheet": table.sheet,
            "row": rows.astype(int),
            "column": table.schema.column(key).name,
            "cell": render("{prefix}{row}", prefix=sheet_prefix(table.sheet) + letter, row=rows),
            "rule": found.id,
            "severity": found.severity.value,
            "message": messages,
            "_sheet": _SHEET_ORDER.get(table.schema.name, 9),
            "_col": _letter_order(letter),
        }))

    def add_cell(self, sheet: str, row: int, cell: str, column: str, rule_id: str,
                 message: str) -> None:
        found = rule(rule_id)
        self.parts.append(pd.DataFrame([{
            "sheet": sheet, "row": row, "column": column, "cell": cell, "rule": found.id,
            "severity": found.severity.value, "message": message, "_sheet": -1, "_col": 0}]))

    def frame(self) -> pd.DataFrame:
        if not self.parts:
            return pd.DataFrame({name: pd.Series(dtype=object) for name in FINDING_FIELDS})
        frame = pd.concat(self.parts, ignore_index=True)
        frame = frame.sort_values(["_sheet", "row", "_col", "rule"], kind="stable")
        return frame.drop(columns=["_sheet", "_col"]).reset_index(drop=True)


def _fallback_key(table: Table) -> str:
    """A finding about an absent optional column is shown on the row's first read column."""
    return next(iter(table.letters))


def _letter_order(letter: str) -> int:
    """A -> 1, Z -> 26, AA -> 27: sorts findings left to right."""
    number = 0
    for char in letter:
        number = number * 26 + ord(char) - 64
    return number


def validate(register: Register, as_of: dt.date | None = None) -> Validation:
    """Check the whole register; findings come back sorted by sheet, row and column."""
    day = resolve_as_of(register, as_of)
    found = _Collector()
    _setting_checks(register, found)
    for table in register.tables():
        _value_checks(table, found)
        _unique_checks(table, found)
    _project_checks(register, day, found)
    known = _normalised_ids(register.projects.value("project_id"))
    if register.lessons is not None:
        _reference_checks(register.lessons, known, found)
        _lesson_checks(register.lessons, day, found)
    if register.milestones is not None:
        _reference_checks(register.milestones, known, found)
    return Validation(found.frame(), day)


def _setting_checks(register: Register, found: _Collector) -> None:
    for problem in register.setting_problems:
        sheet = register.settings_sheet or "Settings"
        found.add_cell(sheet, problem.row, problem.cell, problem.name, "bad-setting",
                       problem.reason)


# Messages for values that cannot be used, by column kind and rule.
_VALUE_RULES: dict[Kind, tuple[tuple[str, str, str], ...]] = {
    Kind.ENUM: (("bad", "not-allowed", "{name} '{value}' is not one of {allowed}"),),
    Kind.DATE: (("bad", "bad-date", "{name} '{value}' is not a date"),),
    Kind.MONEY: (("bad", "bad-money", "{name} '{value}' is not a number"),
                 ("negative", "negative-money", "{name} {value} is negative")),
    Kind.PERCENT: (("bad", "bad-percent", "{name} '{value}' is not a percentage"),
                   ("out_of_range", "percent-range", "{name} {value} is outside 0–100 %"),
                   ("points", "percent-as-points", "{name} {value} was read as {value} %")),
}


def _value_checks(table: Table, found: _Collector) -> None:
    """Per-column checks: required, readable, allowed, in range."""
    for column in table.schema.columns:
        if not table.has(column.key):
            continue
        parsed = table.parsed[column.key]
        if column.required:
            found.add(table, column.key, parsed.blank, "required", "{name} is required",
                      name=column.name)
        for mask_name, rule_id, template in _VALUE_RULES.get(column.kind, ()):
            mask = parsed.bad if mask_name == "bad" else parsed.flags[mask_name]
            found.add(table, column.key, mask, rule_id, template, name=column.name,
                      value=table.raw[column.key], allowed=", ".join(column.allowed))


def _normalised_ids(ids: pd.Series) -> pd.Series:
    # lower() rather than casefold(): IDs are codes, and lower() runs inside pyarrow.
    return ids.astype("str").str.strip().str.lower()


def _unique_checks(table: Table, found: _Collector) -> None:
    for column in table.schema.columns:
        if not column.unique or not table.has(column.key):
            continue
        ids = _normalised_ids(table.value(column.key))
        present = ids.notna()
        repeated = ids.duplicated(keep="first") & present
        if not repeated.any():
            continue
        firsts = present & ~ids.duplicated(keep="first")
        first_row = pd.Series(table.rows[firsts].to_numpy(dtype=int),
                              index=ids[firsts].to_numpy())
        found.add(table, column.key, repeated, "duplicate-id",
                  "{name} '{value}' is already used in row {first}", name=column.name,
                  value=table.value(column.key), first=ids.map(first_row).astype("Int64"))


def _project_checks(register: Register, as_of: dt.date, found: _Collector) -> None:
    table = register.projects
    v = table.values
    metrics = project_metrics(register, as_of)
    closed = v["phase"] == CLOSED
    active = ~closed

    found.add(table, "overall_rag", table.parsed["overall_rag"].blank & active, "required",
              "Overall RAG is required unless the project is Closed")
    _date_order_checks(table, v, found)
    found.add(table, "actual_finish", closed & table.parsed["actual_finish"].blank,
              "closed-without-finish", "Phase is Closed but Actual Finish is blank")
    _stale_checks(table, v, metrics, active, register.settings.stale_after_days, found)
    _rag_integrity_checks(table, v, metrics, active, found)
    early = v["phase"].isin(["Initiation", "Planning", "Execution"])
    found.add(table, "percent_complete", early & (v["percent_complete"] >= 1),
              "complete-not-closing", "Percent Complete is 100 % but Phase is {phase}",
              phase=v["phase"])
    found.add(table, "status_summary", v["overall_rag"].isin(["Amber", "Red"])
              & table.parsed["status_summary"].blank, "rag-without-summary",
              "Overall RAG is {rag} but Status Summary is blank", rag=v["overall_rag"])


def _date_order_checks(table: Table, v: pd.DataFrame, found: _Collector) -> None:
    start = v["start_date"]
    for key, name in (("baseline_finish", "Baseline Finish"),
                      ("forecast_finish", "Forecast Finish"),
                      ("actual_finish", "Actual Finish")):
        found.add(table, key, v[key] < start, "finish-before-start",
                  "{name} {finish} is before Start Date {start}", name=name, finish=v[key],
                  start=start)


def _stale_checks(table: Table, v: pd.DataFrame, metrics: pd.DataFrame, active: pd.Series,
                  limit: int, found: _Collector) -> None:
    found.add(table, "status_date", active & table.parsed["status_date"].blank, "stale-status",
              "Status Date is blank: an active project needs regular status updates")
    found.add(table, "status_date", active & (metrics["days_since_update"] > limit),
              "stale-status",
              "Status Date {date} is {days} days old (updates are due every {limit} days)",
              date=v["status_date"], days=metrics["days_since_update"], limit=limit)


def _rag_integrity_checks(table: Table, v: pd.DataFrame, metrics: pd.DataFrame,
                          active: pd.Series, found: _Collector) -> None:
    green = active & (v["overall_rag"] == "Green")
    cpi, spi, slip = metrics["cpi"], metrics["spi"], metrics["slip_days"]
    low_cpi = green & (cpi < PERFORMANCE_TOLERANCE)
    low_spi = green & (spi < PERFORMANCE_TOLERANCE)
    slipped = green & (slip > 0)
    flagged = low_cpi | low_spi | slipped
    if not flagged.any():
        return
    sub = flagged[flagged].index
    reasons = [
        _phrase(low_cpi[sub], render("CPI is {v:.2f}", v=cpi[sub])),
        _phrase(low_spi[sub], render("SPI is {v:.2f}", v=spi[sub])),
        _phrase(slipped[sub], render("the finish has slipped {v} days", v=slip[sub])),
    ]
    why = (reasons[0] + ", " + reasons[1] + ", " + reasons[2]).str.replace(
        r"(, ){2,}", ", ", regex=True).str.strip(", ")
    found.add(table, "overall_rag", flagged, "rag-integrity", "Overall RAG is Green but {why}",
              why=why.reindex(flagged.index))


def _phrase(mask: pd.Series, text: pd.Series | str) -> pd.Series:
    """The text where mask holds, '' elsewhere."""
    return pd.Series(text, index=mask.index).where(mask, "")


def _isin(values: pd.Series, allowed: pd.Series) -> pd.Series:
    """Series.isin for text columns, in pyarrow (pandas converts string sets value by value)."""
    found = pc.is_in(pa.array(values.array), value_set=pa.array(allowed.dropna().array))
    return pd.Series(np.asarray(found.fill_null(False)), index=values.index)


def _reference_checks(table: Table, known: pd.Series, found: _Collector) -> None:
    ids = _normalised_ids(table.value("project_id"))
    unknown = ids.notna() & ~_isin(ids, known)
    found.add(table, "project_id", unknown, "unknown-project",
              "Project ID '{value}' is not on the Projects sheet",
              value=table.value("project_id"))


def _lesson_checks(table: Table, as_of: dt.date, found: _Collector) -> None:
    v = table.values
    found.add(table, "recommendation", (v["type"] == "Improve")
              & table.parsed["recommendation"].blank, "improve-without-recommendation",
              "Lesson of type Improve has no Recommendation")
    found.add(table, "date_logged", v["date_logged"] > pd.Timestamp(as_of), "logged-in-future",
              "Date Logged {date} is after the as-of date {as_of}", date=v["date_logged"],
              as_of=as_of.isoformat())
