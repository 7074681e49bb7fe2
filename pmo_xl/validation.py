"""Validation: every problem in a register, each tied to the cell that holds it.

`validate(register)` runs all rules of `pmo_xl.rules` in one pass over whole columns (no
per-row loops but for the messages of flagged rows) and returns a `Validation` whose findings
name sheet, Excel row, column, cell address, rule, severity and a message a PMO officer
understands. It checks against the standard in force for the register: its vocabularies, its
required and not-tracked columns. Checks that hold for any sheet (required, readable, allowed,
unique, known parent) run on every sheet the standard declares; each sheet's own checks are
registered in `SHEET_CHECKS` under its name. Derived figures (CPI, slip, staleness) come from
`pmo_xl.metrics`, computed once for validation and roll-up alike.
"""

from __future__ import annotations

import datetime as dt
import string
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .cells import sheet_prefix
from .metrics import EARLY_STAGES, project_metrics, resolve_as_of, usable_dates
from .parsing import Parsed
from .reader import Register, Table
from .rules import Severity, rule
from .schema import CLOSED, Column, Kind
from .tolerances import EXCEEDED, FORECAST, WITHIN

FINDING_FIELDS = ("sheet", "row", "column", "cell", "rule", "severity", "message")


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

    def _count(self, severity: Severity) -> int:
        return int((self.findings["severity"] == severity).sum())

    @property
    def errors(self) -> int:
        return self._count(Severity.ERROR)

    @property
    def warnings(self) -> int:
        return self._count(Severity.WARNING)

    @property
    def infos(self) -> int:
        return self._count(Severity.INFO)

    def __len__(self) -> int:
        return len(self.findings)

    def __iter__(self) -> Iterator[Finding]:
        for record in self.findings[list(FINDING_FIELDS)].itertuples(index=False):
            yield Finding(*record)

    def to_dict(self) -> dict[str, object]:
        frame = self.findings[list(FINDING_FIELDS)]
        return {"findings": frame.to_dict("records"), "errors": self.errors,
                "warnings": self.warnings, "infos": self.infos,
                "as_of": self.as_of.isoformat()}


# --- messages --------------------------------------------------------------------------------


def _show(value: object, spec: str = "") -> str:
    """A value as a person reads it in a cell: dates as ISO, 1001 rather than 1001.0."""
    if value.__class__ is str and not spec:  # most shown values: the cell's text
        return value.strip()  # type: ignore[attr-defined]
    if value is None or value is pd.NaT or value is pd.NA or (
            isinstance(value, float) and np.isnan(value)):
        return ""
    if spec:
        return format(value, spec)
    if isinstance(value, float) and value.is_integer():
        # 1E+308 as Excel shows it, not as 309 digits of which 292 are noise
        return str(int(value)) if abs(value) < 1e15 else f"{value:.15g}"
    if isinstance(value, dt.datetime | pd.Timestamp):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def _messages(template: str, count: int, fields: dict[str, object]) -> list[str]:
    """str.format over the flagged rows, in plain Python: `fields` are lists (one value per
    flagged row) or scalars. Each field is shown once per row, then one format per row."""
    pattern, columns = [], []
    for literal, name, spec, _conv in string.Formatter().parse(template):
        pattern.append(literal.replace("{", "{{").replace("}", "}}"))
        if name is None:
            continue
        value = fields[name]
        if isinstance(value, list):  # a cell's value: as a person reads it
            columns.append([_show(v, spec or "") for v in value])
        else:
            shown = format(value, spec) if spec else str(value)
            columns.append([shown] * count)
        pattern.append(f"{{{len(columns) - 1}}}")
    layout = "".join(pattern)
    if not columns:
        return [layout.format()] * count
    return [layout.format(*row) for row in zip(*columns, strict=True)]


class _Findings:
    """Accumulates findings as plain lists; one DataFrame is built at the end."""

    def __init__(self, register: Register) -> None:
        self.columns: dict[str, list] = {name: [] for name in (*FINDING_FIELDS, "_sheet",
                                                                "_col")}
        self.sheet_order = {t.sheet: i for i, t in enumerate(register)}

    def add(self, table: Table, key: str, mask: pd.Series | np.ndarray, rule_id: str,
            template: str, **fields: object) -> None:
        """Findings at column `key` for the rows where mask holds (none when the register
        does not keep that column: its absence is a finding of its own). A field is a value
        for every row (a Series over the table, or an array in its order) or a scalar."""
        if not table.has(key):
            return
        flagged = _flags(mask)
        if not flagged.any():
            return
        index = table.rows.index
        positions = np.flatnonzero(flagged)
        rows = table.rows.to_numpy()[positions].astype(int).tolist()
        values = {name: _picked(value, index, positions)
                  if isinstance(value, pd.Series | np.ndarray) else value
                  for name, value in fields.items()}
        found = rule(rule_id)
        letter = table.letters[key]
        prefix = sheet_prefix(table.sheet) + letter
        n = len(rows)
        self._extend(table.sheet, rows, table.schema.column(key).name,
                     [f"{prefix}{r}" for r in rows], found.id, found.severity.value,
                     _messages(template, n, values), _letter_order(letter))

    def _extend(self, sheet: str, rows: list[int], column: str, cells: list[str],
                rule_id: str, severity: str, messages: list[str], col: int) -> None:
        n = len(rows)
        c = self.columns
        c["sheet"] += [sheet] * n
        c["row"] += rows
        c["column"] += [column] * n
        c["cell"] += cells
        c["rule"] += [rule_id] * n
        c["severity"] += [severity] * n
        c["message"] += messages
        c["_sheet"] += [self.sheet_order.get(sheet, -1)] * n
        c["_col"] += [col] * n

    def add_cell(self, sheet: str, row: int, cell: str, column: str, rule_id: str,
                 message: str) -> None:
        found = rule(rule_id)
        letter = cell.rsplit("!", 1)[-1].rstrip("0123456789")
        self._extend(sheet, [row], column, [cell], found.id, found.severity.value, [message],
                     _letter_order(letter))

    def frame(self) -> pd.DataFrame:
        """The findings as one DataFrame, sorted by sheet, row, column and rule."""
        c = self.columns
        # Each key by its rank among its values: a column letter of a notice's cell may
        # number beyond 64 bits, and the rules are text.
        order = np.lexsort([_ranks(c[key]) for key in ("rule", "_col", "row", "_sheet")])
        # One block of objects: columns built one by one as text would cost more than this.
        block = np.empty((len(order), len(FINDING_FIELDS)), dtype=object)
        for i, name in enumerate(FINDING_FIELDS):
            block[:, i] = c[name]
        frame = pd.DataFrame(block[order], columns=list(FINDING_FIELDS), dtype=object)
        frame["row"] = frame["row"].astype(int)
        return frame


def _ranks(values: list) -> np.ndarray:
    """Each value's rank among the distinct values, for a numpy sort key."""
    rank = {value: n for n, value in enumerate(sorted(set(values)))}
    return np.array([rank[value] for value in values], dtype=np.int64)


def _flags(mask: pd.Series | np.ndarray) -> np.ndarray:
    """A mask as a boolean array (a blank, unknown, is not flagged)."""
    if isinstance(mask, np.ndarray):
        return mask.astype(bool, copy=False)
    if mask.dtype == bool:
        return mask.to_numpy()
    return np.asarray(mask.fillna(False), dtype=bool)


def _picked(values: pd.Series | np.ndarray, index: pd.Index,
            positions: np.ndarray) -> list[object]:
    """The values of the flagged rows only (a field may cover the flagged rows alone):
    converting a whole column to Python objects would cost more than all the checks, and
    pandas' own selection costs a millisecond a call, so numpy picks them where it can."""
    if isinstance(values, np.ndarray):
        return values[positions].tolist()
    if not values.index.equals(index):  # a field over the flagged rows only
        return values.reindex(index[positions]).tolist()
    dtype = values.dtype
    if isinstance(dtype, pd.CategoricalDtype):  # a dropdown's words: None for a blank
        words = np.append(values.array.categories.to_numpy(dtype=object), None)
        return words[values.array.codes[positions]].tolist()
    if dtype.kind in "fiub":
        return values.to_numpy()[positions].tolist()
    if dtype.kind == "M":
        return list(pd.DatetimeIndex(values.to_numpy()[positions]))
    if isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow":
        return pa.array(values.array).take(positions).to_pylist()
    return values.iloc[positions].tolist()


def _letter_order(letter: str) -> int:
    """A -> 1, Z -> 26, AA -> 27: sorts findings left to right."""
    number = 0
    for char in letter:
        number = number * 26 + ord(char) - 64
    return number


# --- the checks ------------------------------------------------------------------------------

Check = Callable[[Table, Register, dt.date, _Findings], None]


def validate(register: Register, as_of: dt.date | None = None) -> Validation:
    """Check the whole register; findings come back sorted by sheet, row and column.
    Computed once per as-of date (the roll-up's data quality and the reports reuse it)."""
    day = resolve_as_of(register, as_of)
    cache = register.__dict__.setdefault("_validation", {})
    if day not in cache:
        cache[day] = _validate(register, day)
    return cache[day]


def _validate(register: Register, day: dt.date) -> Validation:
    found = _Findings(register)
    for notice in register.notices:
        found.add_cell(notice.sheet, notice.row, notice.cell, notice.column, notice.rule,
                       notice.message)
    known = _ids(register.projects, "project_id")
    for table in register:
        _value_checks(table, register, found)
        _unique_checks(table, found)
        if table.schema.parent:
            _reference_checks(table, known, register, found)
        for check in SHEET_CHECKS.get(table.schema.name, ()):
            check(table, register, day, found)
    return Validation(found.frame(), day)


# Messages for values that cannot be used, by column kind: (mask, rule, message template).
_VALUE_RULES: dict[Kind, tuple[tuple[str, str, str], ...]] = {
    Kind.ENUM: (("bad", "not-allowed", "{name} '{value}' is not one of {allowed}{how}"),),
    Kind.DATE: (("bad", "bad-date", "{name} '{value}' is not a date{hint}"),
                ("implausible", "implausible-date",
                 "{name} {value} is implausible (outside {years}): no figure uses it"),
                ("approximate", "approximate-date",
                 "{name} '{value}' was read as {date}, the {end} day of the {period}"),
                ("order_conflict", "date-order",
                 "{name} '{value}' can only be read {way}, unlike the rest of its column")),
    Kind.MONEY: (("bad", "bad-money", "{name} '{value}' is not a number"),
                 ("negative", "negative-money", "{name} {value} is negative: no figure uses it"),
                 ("too_large", "implausible-amount",
                  "{name} {value} is above the Maximum Amount ({maximum:,}): no figure uses it"),
                 ("other_currency", "other-currency",
                  "{name} '{value}' is not in {currency}: it is not summed")),
    Kind.PERCENT: (("bad", "bad-percent", "{name} '{value}' is not a percentage"),
                   ("out_of_range", "percent-range", "{name} {value} is outside 0–100 %"),
                   ("points", "percent-as-points", "{name} {value} was read as {value} %")),
    Kind.INTEGER: (("bad", "bad-number", "{name} '{value}' is not a whole number"),
                   ("out_of_range", "number-range",
                    "{name} {value} is outside 0–{maximum:,}: no figure uses it")),
}


def _value_checks(table: Table, register: Register, found: _Findings) -> None:
    """Per-column checks: required, readable, allowed, in range."""
    for column in table.schema.columns:
        if not table.has(column.key):
            continue
        parsed = table.parsed[column.key]
        if column.required and column.key != "overall_rag":  # Overall RAG: while open only
            found.add(table, column.key, parsed.blank, "required", "{name} is required",
                      name=column.name)
        for mask_name, rule_id, template in _VALUE_RULES.get(column.kind, ()):
            mask = parsed.bad if mask_name == "bad" else parsed.flags.get(mask_name)
            if mask is None or not mask.any():
                continue
            raw = table.raw[column.key]
            found.add(table, column.key, mask, rule_id, template, name=column.name, value=raw,
                      **_message_fields(rule_id, column, parsed, raw[mask], register))


def _message_fields(rule_id: str, column: Column, parsed: Parsed, flagged: pd.Series,
                    register: Register) -> dict[str, object]:
    """The fields a rule's message needs beyond name and value, for the flagged rows only
    (a Series over them, or a scalar)."""
    settings = register.settings
    if rule_id == "not-allowed":
        lists = any(origin.endswith("sheet") for origin in register.standard.origin)
        how = (" (add it to the Lists sheet)" if lists else
               " (map your own words in a profile: pmo-xl inspect suggests how)")
        return {"allowed": ", ".join(column.allowed), "how": how}
    if rule_id == "bad-date":
        from .dates import bad_date_hint

        texts = [str(v) for v in flagged.tolist()]
        # Registers repeat their placeholders ("TBC", "Q3?"): each distinct text once.
        hints = {text: bad_date_hint(text, settings.date_order) for text in set(texts)}
        return {"hint": pd.Series([f"; {hints[t]}" if hints[t] else "" for t in texts],
                                  index=flagged.index, dtype=object)}
    if rule_id == "implausible-date":
        return {"years": f"{settings.earliest_year}–{settings.latest_year}"}
    if rule_id == "approximate-date":
        quarter = flagged.astype(str).str.contains("q", case=False)
        return {"date": parsed.values[flagged.index], "end": "last" if column.period_end
                else "first", "period": quarter.map({True: "quarter", False: "month"})}
    if rule_id == "date-order":
        order = parsed.note.get("date_order")
        return {"way": "day-first" if order == "MDY" else "month-first"}
    if rule_id == "other-currency":
        return {"currency": register.currency}
    if rule_id == "number-range":
        return {"maximum": column.maximum}
    if rule_id == "implausible-amount":
        return {"maximum": settings.maximum_amount}
    return {}


def _normalised_ids(ids: pd.Series) -> pa.Array:
    """IDs as compared, as Arrow text (blanks null): trimmed (the reader trims cells) and
    lower-cased, in pyarrow; lower() rather than casefold(): IDs are codes."""
    if isinstance(ids.dtype, pd.StringDtype) and ids.dtype.storage == "pyarrow":
        text = pa.array(ids.array, type=pa.string())  # already arrow text: no copy
    else:
        text = pa.array(ids.astype(str).where(ids.notna(), None), type=pa.string())
    if isinstance(text, pa.ChunkedArray):
        text = text.combine_chunks()
    return pc.ascii_lower(text) if _ascii(text) else pc.utf8_lower(text)


def _ascii(text: pa.Array) -> bool:
    """Whether every byte of the text's buffer is ASCII (those of a slice's neighbours too,
    which can only send it the Unicode way): IDs nearly always are, and lower-casing them
    byte by byte takes a twentieth of the time."""
    data = text.buffers()[2]
    return data is None or not len(data) or int(np.frombuffer(data, np.uint8).max()) < 0x80


def _ids(table: Table, key: str) -> pa.Array:
    """The table's normalised IDs in a column, computed once per table and column."""
    cache = table.__dict__.setdefault("_normalised", {})
    if key not in cache:
        cache[key] = _normalised_ids(table.value(key))
    return cache[key]


def _unique_checks(table: Table, found: _Findings) -> None:
    for column in table.schema.columns:
        if not column.unique or not table.has(column.key):
            continue
        ids = _ids(table, column.key)
        # One hash pass: each ID's code, and the row of its first occurrence.
        codes = pc.dictionary_encode(ids, null_encoding="encode").indices.to_numpy()
        _, first = np.unique(codes, return_index=True)
        repeated = np.ones(len(codes), dtype=bool)
        repeated[first] = False
        repeated &= ids.is_valid().to_numpy(zero_copy_only=False)
        if not repeated.any():
            continue
        rows = table.rows.to_numpy(dtype=int)
        first_row = np.zeros(len(codes), dtype=object)
        first_row[repeated] = rows[first][codes[repeated]].tolist()
        found.add(table, column.key, repeated, "duplicate-id",
                  "{name} '{value}' is already used in row {first}", name=column.name,
                  value=table.value(column.key), first=first_row)


def _reference_checks(table: Table, known: pa.Array, register: Register,
                      found: _Findings) -> None:
    for column in table.schema.columns:
        if not column.references:
            continue
        ids = _ids(table, column.key)
        listed = pc.is_in(ids, value_set=known.drop_null()).fill_null(False)
        unknown = pc.and_(ids.is_valid(), pc.invert(listed))
        found.add(table, column.key, unknown.to_numpy(zero_copy_only=False), "unknown-project",
                  "{name} '{value}' is not on the {parent} sheet", name=column.name,
                  value=table.value(column.key), parent=register.projects.sheet)


# --- the Projects sheet's own checks -----------------------------------------------------------


def _project_checks(table: Table, register: Register, as_of: dt.date,
                    found: _Findings) -> None:
    v = table.values
    metrics = project_metrics(register, as_of)
    active = metrics["active"]
    found.add(table, "overall_rag", table.parsed["overall_rag"].blank & active, "required",
              "Overall RAG is required unless the project is Closed")
    start = v["start_date"]
    for key in ("baseline_finish", "forecast_finish", "actual_finish"):
        found.add(table, key, v[key] < start, "finish-before-start",
                  "{name} {finish} is before Start Date {start}",
                  name=table.schema.column(key).name, finish=v[key], start=start)
    found.add(table, "actual_finish", (v["phase"] == CLOSED) & table.parsed["actual_finish"].blank,
              "closed-without-finish", "Phase is {phase} but Actual Finish is blank",
              phase=table.label("phase"))
    _stale_checks(table, metrics, register.settings.stale_after_days, found)
    _rag_integrity_checks(table, metrics, found)
    _tolerance_checks(table, metrics, found)
    early = v["phase"].isin(EARLY_STAGES)
    found.add(table, "percent_complete", early & (v["percent_complete"] >= 1),
              "complete-not-closing", "Percent Complete is 100 % but Phase is {phase}",
              phase=table.label("phase"))
    found.add(table, "status_summary", v["overall_rag"].isin(["Amber", "Red"])
              & table.parsed["status_summary"].blank, "rag-without-summary",
              "Overall RAG is {rag} but Status Summary is blank", rag=table.label("overall_rag"))


def _stale_checks(table: Table, metrics: pd.DataFrame, limit: int, found: _Findings) -> None:
    active = metrics["active"]
    found.add(table, "status_date", active & table.parsed["status_date"].blank, "stale-status",
              "Status Date is blank: an active project needs regular status updates")
    found.add(table, "status_date", active & (metrics["days_since_update"] > limit),
              "stale-status",
              "Status Date {date} is {days} days old (updates are due every {limit} days)",
              date=usable_dates(table)["status_date"], days=metrics["days_since_update"],
              limit=limit)


def _rag_integrity_checks(table: Table, metrics: pd.DataFrame, found: _Findings) -> None:
    green = metrics["active"].to_numpy() & (metrics["overall_rag"] == "Green").to_numpy()
    flagged = green & (metrics["low_cpi"] | metrics["low_spi"] | metrics["slipped"]).to_numpy()
    if not flagged.any():
        return
    reasons = []
    for low_cpi, low_spi, slipped, cpi, spi, slip in zip(*_flagged_columns(
            metrics, flagged, ("low_cpi", "low_spi", "slipped", "cpi", "spi", "slip_days")),
            strict=True):
        why = [f"CPI is {cpi:.2f}"] if low_cpi else []
        why += [f"SPI is {spi:.2f}"] if low_spi else []
        why += [f"the finish has slipped {int(slip)} days"] if slipped else []
        reasons.append(", ".join(why))
    found.add(table, "overall_rag", flagged, "rag-integrity", "Overall RAG is {rag} but {why}",
              rag=table.label("overall_rag"), why=_at_flagged(flagged, reasons))


def _flagged_columns(metrics: pd.DataFrame, flagged: np.ndarray,
                     names: tuple[str, ...]) -> list[list[object]]:
    """The flagged rows' values of a few figures, as Python lists (a handful of rows: no
    frame of every figure is filtered)."""
    return [metrics[name].to_numpy()[flagged].tolist() for name in names]


def _at_flagged(flagged: np.ndarray, values: list[str]) -> np.ndarray:
    """Per-row values given for the flagged rows only, as a field of every row."""
    every = np.full(len(flagged), None, dtype=object)
    every[flagged] = values
    return every


def _tolerance_checks(table: Table, metrics: pd.DataFrame, found: _Findings) -> None:
    """The rating against the tolerances: beyond one but not Red, Red within all."""
    active = metrics["active"].to_numpy()
    rag = metrics["overall_rag"]
    red = (rag == "Red").to_numpy()
    time = metrics["time_status"].to_numpy(dtype=object)
    cost = metrics["cost_status"].to_numpy(dtype=object)
    beyond = (time == FORECAST) | (time == EXCEEDED) | (cost == FORECAST) | (cost == EXCEEDED)
    flagged = active & ~red & rag.notna().to_numpy() & beyond
    reasons = []  # the flagged rows only
    for t, slip, days, c, share, tolerance in zip(*_flagged_columns(metrics, flagged, (
            "time_status", "time_deviation_days", "time_tolerance_days", "cost_status",
            "cost_deviation_share", "cost_tolerance")), strict=True):
        why = [f"time {_BEYOND[t]} its tolerance ({int(slip)} days after the baseline, "
               f"tolerance {int(days)})" if slip == slip else f"time {_BEYOND[t]} its tolerance"
               ] if t in _BEYOND else []
        why += [f"cost {_BEYOND[c]} its tolerance ({share:+.1%} on the budget, tolerance "
                f"{tolerance:.0%})"] if c in _BEYOND else []
        reasons.append(" and ".join(why))
    found.add(table, "overall_rag", flagged, "tolerance-not-red",
              "Overall RAG is {rag} but {why}", rag=table.label("overall_rag"),
              why=_at_flagged(flagged, reasons))
    within = (time == WITHIN) & (cost == WITHIN)
    found.add(table, "overall_rag", active & red & within, "red-within-tolerance",
              "Overall RAG is {rag} but time and cost are within tolerance",
              rag=table.label("overall_rag"))


_BEYOND = {FORECAST: "is forecast to exceed", EXCEEDED: "has exceeded"}


def _lesson_checks(table: Table, register: Register, as_of: dt.date, found: _Findings) -> None:
    v = table.values
    found.add(table, "recommendation", (v["type"] == "Improve")
              & table.parsed["recommendation"].blank, "improve-without-recommendation",
              "Lesson of type {type} has no Recommendation", type=table.label("type"))
    logged = usable_dates(table)["date_logged"]
    found.add(table, "date_logged", logged > pd.Timestamp(as_of), "logged-in-future",
              "Date Logged {date} is after the as-of date {as_of}", date=logged,
              as_of=as_of.isoformat())


# --- the RAID log's own checks (figures from pmo_xl.raid) ---------------------------------------


def _raid_checks(table: Table, register: Register, as_of: dt.date, found: _Findings) -> None:
    from .raid import raid_metrics

    items = raid_metrics(table, register, as_of)
    status = table.label("status").astype(object).fillna("open")
    found.add(table, "closed_on", (table.values["status"] == CLOSED)
              & table.parsed["closed_on"].blank, "closed-without-date",
              "Status is {status} but Closed On is blank", status=status)
    _high_risk_checks(table, items, register.settings.high_risk_score, found)
    _overdue_checks(table, items, status, found)
    at = "escalate" if table.has("escalate") else "raised"
    found.add(table, at, items["old_issue"], "issue-not-escalated",
              "{kind} raised {raised} is {age} days old (Issue Age Days {limit}) but is not "
              "escalated", kind=table.label("type"), raised=usable_dates(table)["raised"],
              age=items["age_days"], limit=register.settings.issue_age_days)
    found.add(table, "depends_on", items["dependency_at_risk"], "dependency-at-risk",
              "Depends On {project} {reason}", project=items["depends_on_project"],
              reason=items["at_risk_reason"])
    found.add(table, "depends_on_milestone", items["milestone_unknown"], "unknown-milestone",
              "Depends On Milestone '{value}' is not a milestone of {project}: its finish is "
              "used", value=table.raw["depends_on_milestone"] if table.has(
                  "depends_on_milestone") else "", project=items["depends_on_project"])
    found.add(table, "status" if table.has("status") else "type",
              items["assumption_open_at_close"], "assumption-open-at-close",
              "{kind} is still open but its project is {phase}", kind=table.label("type"),
              phase=items["project_phase"])


def _high_risk_checks(table: Table, items: pd.DataFrame, limit: int, found: _Findings) -> None:
    scores = {"kind": table.label("type"), "score": items["score"], "p": items["probability"],
              "i": items["impact"], "limit": limit}
    for key, rule_id, what in (("owner", "high-risk-without-owner", "Owner"),
                               ("response", "high-risk-without-response",
                                "Response / Mitigation")):
        found.add(table, key, items["high_risk"] & table.parsed[key].blank, rule_id,
                  "{kind} scores {score} ({p} × {i}; High Risk Score {limit}) but has no "
                  + what, **scores)


def _overdue_checks(table: Table, items: pd.DataFrame, status: pd.Series,
                    found: _Findings) -> None:
    """An overdue item is flagged at the date it is overdue against: a decision's Decision
    Needed By where it has one, else its Due Date."""
    by_decision_date = table.values["type"] == "Decision"
    by_decision_date &= usable_dates(table)["decision_needed_by"].notna()
    fields = {"kind": table.label("type"), "due": items["due"], "status": status,
              "days": items["days_overdue"]}
    template = "{kind} was due {due} and is still {status}: {days} days overdue"
    found.add(table, "decision_needed_by", items["overdue"] & by_decision_date, "raid-overdue",
              template, **fields)
    found.add(table, "due_date", items["overdue"] & ~by_decision_date, "raid-overdue",
              template, **fields)


# Each sheet's own checks, by the standard's sheet name: a new sheet registers its rules here.
SHEET_CHECKS: dict[str, tuple[Check, ...]] = {
    "Projects": (_project_checks,),
    "Lessons": (_lesson_checks,),
    "RAID": (_raid_checks,),
}
