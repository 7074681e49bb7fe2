"""Finding the header row and mapping headers to pmo-xl columns (`pmo_xl.headers`)."""

from __future__ import annotations

import csv
import os
from collections.abc import Callable
from pathlib import Path

import pytest
import xlsxwriter
from conftest import REAL_DATA
from hypothesis import given, settings
from hypothesis import strategies as st
from python_calamine import CalamineWorkbook

from pmo_xl.headers import (
    FUZZY_MIN_LEAD,
    FUZZY_MIN_SCORE,
    HeaderLayout,
    find_header,
    header_spellings,
    match_header,
)
from pmo_xl.schema import LESSONS, MILESTONES, PROJECTS

REAL = REAL_DATA
COLUMNS = PROJECTS.columns
EXAMPLES = settings(max_examples=int(os.environ.get("PMO_XL_HYPOTHESIS_EXAMPLES", "60")),
                    deadline=None)


def real_rows(name: str, count: int = 25) -> list[list[str]]:
    """The first rows of a real register, read as they are (a BOM stays in the first header)."""
    with (REAL / name).open(encoding="utf-8", newline="") as handle:
        return [row for row, _ in zip(csv.reader(handle), range(count), strict=False)]


def sheet_of(tmp_path: Path, build: Callable[[xlsxwriter.worksheet.Worksheet], None],
             ) -> tuple[list[list[object]], list[object]]:
    """Write a real .xlsx with xlsxwriter and read it back with python-calamine, as pmo-xl
    reads registers: (rows from A1, merged_cell_ranges)."""
    path = tmp_path / "register.xlsx"
    book = xlsxwriter.Workbook(str(path))
    build(book.add_worksheet("Projects"))
    book.close()
    sheet = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Projects")
    return sheet.to_python(skip_empty_area=False), sheet.merged_cell_ranges


def keys(layout: HeaderLayout | None) -> dict[str, int]:
    assert layout is not None
    return layout.positions()


def by_header(layout: HeaderLayout | None) -> dict[str, tuple[str | None, str | None]]:
    assert layout is not None
    return {m.header: (m.key, m.how) for m in layout.matches}


# --- spellings ------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["Project_ID", "project-id", "PROJECT ID", "Project\nID",
                                  "projectId", "Project.ID", "Project\u00a0ID", " project  id ",
                                  "\ufeffProject ID", "Project\r\nID", "Project\u2013ID"])
def test_separators_case_and_line_breaks_do_not_matter(text: str) -> None:
    assert header_spellings(text) == ("projectid",)


@pytest.mark.parametrize(("text", "spellings"), [
    ("Project Manager (PM)", ("projectmanager(pm)", "projectmanager", "pm")),
    ("Budget (£m)", ("budget(£m)", "budget", "£m")),
    ("Cost [EUR]", ("cost[eur]", "cost", "eur")),
    ("(PM)", ("(pm)", "pm")),
    ("Budget ()", ("budget()", "budget")),
    ("A (b) (c)", ("a(b)(c)", "a(b)", "c")),  # only the trailing part is split off
    ("Budget (2024 (draft))", ("budget(2024(draft))",)),  # nested: kept whole
])
def test_a_trailing_parenthesised_part_gives_more_spellings(text: str, spellings) -> None:  # noqa: ANN001
    assert header_spellings(text) == spellings


def test_spellings_stay_non_empty_and_blank_cells_have_none() -> None:
    assert header_spellings("-") == ("-",)
    assert header_spellings("__") == ("__",)
    assert header_spellings("") == ()
    assert header_spellings("  \n ") == ()
    assert header_spellings(None) == ()
    assert header_spellings(2024.0) == ("2024",)  # calamine reads a typed 2024 as a float


# --- one header ---------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "key", "how"), [
    ("Project_ID", "project_id", "exact"),
    ("projectName", "project_name", "exact"),
    ("PROJECT\nNAME", "project_name", "exact"),
    ("total_budget", "budget", "alias"),
    ("Budget (£m)", "budget", "exact"),
    ("Project Manager (PM)", "project_manager", "exact"),
    ("(PM)", "project_manager", "alias"),
    ("Forecast Cost (EAC)", "forecast_cost", "exact"),
    ("Approved Budget (EUR k)", "budget", "alias"),
    ("% Complete", "percent_complete", "alias"),
    ("Start", "start_date", "alias"),
])
def test_headers_match_by_name_and_alias(text: str, key: str, how: str) -> None:
    match = match_header(text, COLUMNS)
    assert (match.key, match.how, match.score) == (key, how, 100.0)
    assert match.suggestions == ()


def test_a_blank_or_unknown_header_matches_nothing() -> None:
    assert match_header("", COLUMNS).key is None
    unknown = match_header("Internal Code", COLUMNS)
    assert (unknown.key, unknown.how, unknown.score) == (None, None, None)


def test_match_header_uses_the_sheets_own_columns() -> None:
    assert match_header("Status", LESSONS.columns).key == "action_status"
    assert match_header("Forecast", MILESTONES.columns).key == "forecast_date"
    assert match_header("Forecast", COLUMNS).key is None


# --- fuzzy matching -------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "key"), [
    ("Projet Name", "project_name"),
    ("Buget", "budget"),
    ("Percent Compete", "percent_complete"),
    ("Sponser", "sponsor"),
    ("Shedule RAG", "schedule_rag"),
    ("Basline Finish", "baseline_finish"),
    ("Percnt Compete", "percent_complete"),  # two typos in a long header
])
def test_a_confident_misspelling_is_matched_fuzzily(text: str, key: str) -> None:
    match = match_header(text, COLUMNS)
    assert (match.key, match.how) == (key, "fuzzy")
    assert match.score is not None and FUZZY_MIN_SCORE <= match.score < 100


@pytest.mark.parametrize(("text", "why"), [
    ("Status", "a word of several columns (Status Date, Status RAG), not a misspelling"),
    ("Forecast", "Forecast Finish or Forecast Cost?"),
    ("Stat", "four letters: an abbreviation as likely as a typo of Start"),
    ("Planned Spend", "two edits from Planned End, a different column"),
    ("Estimated Completion", "Forecast Cost (92) is not clearly ahead of Forecast Finish (90)"),
    ("Stage1", "a numbered column, not a misspelt Stage"),
    ("Bugdet", "a transposed short word scores 83, below the threshold"),
])
def test_a_near_miss_is_only_suggested(text: str, why: str) -> None:
    match = match_header(text, COLUMNS)
    assert (match.key, match.how, match.score) == (None, None, None), why
    assert match.suggestions, why
    assert all(score >= 60 for _, score in match.suggestions)
    assert len(match.suggestions) <= 3
    scores = [score for _, score in match.suggestions]
    assert scores == sorted(scores, reverse=True)


def test_near_miss_suggestions_name_the_likely_columns() -> None:
    assert [k for k, _ in match_header("Forecast", COLUMNS).suggestions] == [
        "forecast_finish", "forecast_cost"]
    estimated = dict(match_header("Estimated Completion", COLUMNS).suggestions)
    assert estimated["forecast_cost"] - estimated["forecast_finish"] < FUZZY_MIN_LEAD
    assert "start_date" in dict(match_header("Stat", COLUMNS).suggestions)
    assert match_header("Stage1", COLUMNS).suggestions[0][0] == "phase"


def test_start_and_status_are_never_confused() -> None:
    assert match_header("Start", COLUMNS).key == "start_date"
    status = match_header("Status", COLUMNS)
    assert status.key is None and "start_date" not in dict(status.suggestions)


def test_short_headers_are_never_fuzzy_matched() -> None:
    for text in ("Bdg", "Nam", "BNI", "FFC"):
        match = match_header(text, COLUMNS)
        assert (match.key, match.suggestions) == (None, ()), text


def test_a_fuzzy_match_needs_a_free_column_and_a_unique_claim() -> None:
    # The column is taken exactly: the misspelt copy is not fuzzy-matched onto it.
    layout = find_header([["Project ID", "Project Name", "Projet Name"]], COLUMNS)
    assert by_header(layout)["Projet Name"] == (None, None)
    assert "project_name" not in dict(layout.matches[2].suggestions)
    # Two misspellings of one column: neither is applied, both are suggested.
    layout = find_header([["Project ID", "Sponsor", "Projet Name", "Project Nme"]], COLUMNS)
    for match in layout.matches[2:]:
        assert match.key is None and match.suggestions[0][0] == "project_name"


def test_fuzzy_matching_runs_only_on_the_chosen_header_row() -> None:
    rows = [["Projet Name", "Buget", "Sponser"],  # three fuzzy matches, no exact one
            ["Project ID", "Project Name", "Budgt"]]
    layout = find_header(rows, COLUMNS)
    assert layout is not None and layout.row == 1
    assert keys(layout) == {"project_id": 0, "project_name": 1, "budget": 2}
    assert find_header(rows[:1], COLUMNS) is None


# --- the real registers ---------------------------------------------------------------------


def test_the_canadian_it_projects_headers() -> None:
    layout = find_header(real_rows("gc-it-projects-2022.csv"), COLUMNS)
    assert layout is not None and (layout.row, layout.rows) == (0, 1)
    found = {m.header: m.key for m in layout.matches if m.key}
    assert found == {"uniqueId": "project_id", "department": "business_unit",
                     "projectName": "project_name", "totalBudget": "budget",
                     "estimatedCompletionDate": "forecast_finish"}
    assert {m.how for m in layout.matches if m.key} <= {"exact", "alias"}
    unmatched = {m.header: m.suggestions for m in layout.matches if m.key is None}
    assert set(unmatched) == {"deptAcronym", "shortcode", "description", "rawProvidedDate",
                              "yearsRemaining", "originalDocumentOrder", "source", "asOfDate",
                              "isOver10M", "isOver100M"}
    assert unmatched["asOfDate"][0][0] == "status_date"
    assert layout.duplicates == ()


def test_the_melbourne_water_headers() -> None:
    rows = real_rows("melbourne-water-capital-delivery.csv")
    assert rows[0][0] == "\ufeffID"
    # Only the ID names a pmo-xl column: no header row without the organisation's profile.
    assert find_header(rows, COLUMNS) is None
    assert match_header(rows[0][0], COLUMNS).key == "project_id"
    layout = find_header(rows, COLUMNS, patterns={"budget": "FFC"})
    assert layout is not None and layout.row == 0
    assert keys(layout) == {"project_id": 0, "budget": 1}
    matches = {m.header: m for m in layout.matches}
    assert matches["ID"].how == "alias" and matches["FFC"].how == "profile"
    assert matches["Delivery Program"].suggestions[0][0] == "programme"
    for code in ("BNI", "BCA", "PBC", "EPT"):
        assert matches[code].suggestions == ()
    for stage in ("Stage1", "Stage2", "Stage3"):
        assert matches[stage].key is None  # gate dates, not the project's phase


# --- profile patterns -------------------------------------------------------------------------


def test_profile_patterns_match_through_normalisation_and_wildcards() -> None:
    patterns = {"project_id": "Ref", "budget": "Approved budget*", "sponsor": "*owner*"}
    rows = [["REF", "Name", "APPROVED_BUDGET (£m)", "Business Owner (SRO)"]]
    layout = find_header(rows, COLUMNS, patterns=patterns)
    assert keys(layout) == {"project_id": 0, "project_name": 1, "budget": 2, "sponsor": 3}
    assert [m.how for m in layout.matches] == ["profile", "alias", "profile", "profile"]
    budget = match_header("Budget approved", COLUMNS, patterns={"budget": "Approved budget*"})
    assert budget.how != "profile"


def test_a_key_may_have_several_patterns_and_unknown_keys_are_ignored() -> None:
    patterns = {"project_id": ("Ref", "Scheme No*"), "no_such_column": "Name"}
    layout = find_header([["Scheme No.", "Title", "Project Title"]], COLUMNS, patterns=patterns)
    assert keys(layout) == {"project_id": 0, "project_name": 2}


def test_a_profile_match_wins_over_an_alias_of_the_same_column() -> None:
    rows = [["Project ID", "Name", "Ref", "Budget"]]
    layout = find_header(rows, COLUMNS, patterns={"project_id": "Ref"})
    assert keys(layout) == {"project_name": 1, "project_id": 2, "budget": 3}
    assert by_header(layout)["Project ID"] == (None, None)
    assert layout.matches[0].suggestions == ()
    assert layout.duplicates == ()  # the profile says which one is meant


def test_a_wildcard_prefers_a_header_that_is_no_other_columns() -> None:
    layout = find_header([["ID", "Name", "Budget RAG", "Budget (£m)"]], COLUMNS,
                         patterns={"budget": "Budget*"})
    assert keys(layout) == {"project_id": 0, "project_name": 1, "cost_rag": 2, "budget": 3}
    # The profile has the last word when no other header fits.
    layout = find_header([["ID", "Name", "Budget"]], COLUMNS,
                         patterns={"forecast_cost": "Budget"})
    assert keys(layout) == {"project_id": 0, "project_name": 1, "forecast_cost": 2}


def test_two_headers_matching_one_profile_pattern_are_duplicates() -> None:
    layout = find_header([["ID", "Name", "Budget 2024", "Budget 2025"]], COLUMNS,
                         patterns={"budget": "Budget*"})
    assert keys(layout)["budget"] == 2
    assert layout.duplicates == (("budget", 2, 3),)
    assert layout.matches[3].key is None


# --- duplicates ---------------------------------------------------------------------------


def test_two_headers_for_one_column_are_reported_once_each() -> None:
    rows = [["Project ID", "Name", "Budget", "BAC", "ID", "Total Budget"]]
    layout = find_header(rows, COLUMNS)
    assert keys(layout) == {"project_id": 0, "project_name": 1, "budget": 2}
    assert layout.duplicates == (("budget", 2, 3), ("project_id", 0, 4), ("budget", 2, 5))
    for match in layout.matches[3:]:
        assert (match.key, match.suggestions) == (None, ())


# --- the header row -------------------------------------------------------------------------


def test_the_header_row_is_found_below_title_rows() -> None:
    rows = [["Harbourside PMO — Project Register"], [], ["Status as of", "30/09/2026"],
            ["", "Project ID", "Project Name", "Budget", "Sponsor"],
            ["", "PRJ-001", "Alpha", 1000, "Ann"]]
    layout = find_header(rows, COLUMNS)
    assert layout is not None and (layout.row, layout.rows) == (3, 1)
    assert keys(layout) == {"project_id": 1, "project_name": 2, "budget": 3, "sponsor": 4}
    assert [m.index for m in layout.matches] == [1, 2, 3, 4]


def test_the_row_naming_most_columns_wins_and_ties_go_up() -> None:
    rows = [["Project", "Budget"], ["Project ID", "Project Name", "Budget", "Phase"],
            ["Project ID", "Name", "Cost", "Stage"]]
    assert find_header(rows, COLUMNS).row == 1
    tie = [["Project ID", "Budget"], ["Name", "Sponsor"]]
    assert find_header(tie, COLUMNS).row == 0


def test_a_header_row_needs_two_columns_within_the_search_rows() -> None:
    assert find_header([["Project ID", "Whatever"]], COLUMNS) is None
    assert find_header([], COLUMNS) is None
    rows = [[] for _ in range(20)] + [["Project ID", "Project Name"]]
    assert find_header(rows, COLUMNS) is None
    assert find_header(rows, COLUMNS, search_rows=21).row == 20


def test_the_header_is_found_under_titles_among_long_rows() -> None:
    # How fast the search is belongs to the benchmarks (bench_core reads whole registers),
    # not to a timed unit test that a busy machine fails.
    header = [c.name for c in COLUMNS]
    data = [[f"PRJ-{i:03}", f"Project {i} with a long description " * 3, 1000.5 * i,
             "Execution", "Green", f"{i}/02/2026", None, "", "Ann Smith"] * 3 for i in range(17)]
    rows = [["Harbourside register"], ["as of today"], header, *data]
    layout = find_header(rows, COLUMNS)
    assert layout is not None and layout.row == 2


# --- two-row headers -----------------------------------------------------------------------


def _grouped(ws: xlsxwriter.worksheet.Worksheet) -> None:
    """A title, then a two-row header: ID and Name merged down, groups merged across."""
    ws.write(0, 0, "Harbourside PMO register")
    ws.merge_range(2, 0, 3, 0, "Project ID")
    ws.merge_range(2, 1, 3, 1, "Project Name")
    ws.merge_range(2, 2, 2, 4, "Budget")
    ws.write_row(3, 2, ["Approved", "Actual", "Forecast"])
    ws.merge_range(2, 5, 2, 6, "Dates")
    ws.write_row(3, 5, ["Start", "Finish"])
    ws.merge_range(2, 7, 2, 9, "RAG")
    ws.write_row(3, 7, ["Overall", "Schedule", "Cost"])
    ws.write_row(4, 0, ["PRJ-001", "Alpha", 100, 50, 120, "2026-01-01", "2026-12-31",
                        "Green", "Amber", "Red"])


GROUPED = {"project_id": 0, "project_name": 1, "budget": 2, "actual_cost": 3, "start_date": 5,
           "overall_rag": 7, "schedule_rag": 8, "cost_rag": 9}


def test_calamine_gives_merged_ranges_as_pairs_of_corners(tmp_path: Path) -> None:
    rows, merged = sheet_of(tmp_path, _grouped)
    assert merged == [((2, 0), (3, 0)), ((2, 1), (3, 1)), ((2, 2), (2, 4)),
                      ((2, 5), (2, 6)), ((2, 7), (2, 9))]
    # The value sits in the top-left cell only; the other merged cells read as "".
    assert rows[2][:5] == ["Project ID", "Project Name", "Budget", "", ""]
    assert rows[3][:5] == ["", "", "Approved", "Actual", "Forecast"]


def test_a_two_row_header_with_merged_groups(tmp_path: Path) -> None:
    rows, merged = sheet_of(tmp_path, _grouped)
    layout = find_header(rows, COLUMNS, merged=merged)
    assert layout is not None and (layout.row, layout.rows) == (3, 2)
    assert keys(layout) == GROUPED
    shown = by_header(layout)
    assert shown["Project ID"] == ("project_id", "exact")  # merged down over both rows
    assert shown["Budget / Approved"] == ("budget", "alias")  # "Approved Budget"
    assert shown["Dates / Start"] == ("start_date", "alias")  # its own cell
    assert shown["RAG / Overall"] == ("overall_rag", "exact")  # "Overall RAG"
    assert shown["Budget / Actual"] == ("actual_cost", "fuzzy")  # "Actual" ~ "Actuals"
    assert shown["Budget / Forecast"] == (None, None)
    assert [m.index for m in layout.matches] == list(range(10))


def test_a_two_row_header_without_merge_information(tmp_path: Path) -> None:
    rows, _ = sheet_of(tmp_path, _grouped)
    layout = find_header(rows, COLUMNS)
    assert layout is not None and (layout.row, layout.rows) == (3, 2)
    assert keys(layout) == GROUPED
    # Flat (first_row, first_col, last_row, last_col) ranges work too.
    flat = [(2, 0, 3, 0), (2, 1, 3, 1), (2, 2, 2, 4), (2, 5, 2, 6), (2, 7, 2, 9)]
    assert keys(find_header(rows, COLUMNS, merged=flat)) == GROUPED


def test_a_merge_decides_where_a_group_ends(tmp_path: Path) -> None:
    def build(ws: xlsxwriter.worksheet.Worksheet) -> None:
        ws.merge_range(0, 0, 1, 0, "Project ID")
        ws.merge_range(0, 1, 0, 2, "Budget")
        ws.write_row(1, 1, ["Approved", "Spend", "Name"])
    rows, merged = sheet_of(tmp_path, build)
    expected = {"project_id": 0, "budget": 1, "actual_cost": 2, "project_name": 3}
    layout = find_header(rows, COLUMNS, merged=merged)
    assert layout is not None and (layout.row, layout.rows) == (1, 2)
    assert keys(layout) == expected
    assert [m.header for m in layout.matches] == ["Project ID", "Budget / Approved",
                                                  "Budget / Spend", "Name"]
    # Without the merge, the blank above Name reads as part of the Budget group.
    layout = find_header(rows, COLUMNS)
    assert keys(layout) == expected
    assert layout.matches[3].header == "Budget / Name"


def test_a_group_header_may_name_a_column_twice() -> None:
    rows = [["Project", None, None, "Sponsor"], ["ID", "Code", "Lead", None]]
    layout = find_header(rows, COLUMNS)
    assert layout is not None and layout.rows == 2
    assert [m.header for m in layout.matches] == ["Project / ID", "Project / Code",
                                                  "Project / Lead", "Sponsor"]
    assert keys(layout) == {"project_id": 0, "project_manager": 2, "sponsor": 3}
    assert layout.duplicates == (("project_id", 0, 1),)  # "Project Code" is the ID too


def test_an_unmerged_group_row_is_recognised_by_its_blanks() -> None:
    rows = [["ID", "Name", "Cost", None, None, "Status"],
            [None, None, "Budget", "Actual", "Forecast", "Date"],
            ["PRJ-001", "Alpha", 10, 5, 12, "2026-09-30"]]
    layout = find_header(rows, COLUMNS)
    assert layout is not None and (layout.row, layout.rows) == (1, 2)
    assert keys(layout) == {"project_id": 0, "project_name": 1, "budget": 2, "actual_cost": 3,
                            "forecast_cost": 4, "status_date": 5}
    assert by_header(layout)["Status / Date"] == ("status_date", "exact")


def test_a_title_row_above_the_header_is_not_a_group_row() -> None:
    rows = [["Projects 2026", "", "", ""], ["Project ID", "Project Name", "Budget", "Sponsor"]]
    layout = find_header(rows, COLUMNS)
    assert layout is not None and (layout.row, layout.rows) == (1, 1)
    assert [m.header for m in layout.matches] == rows[1]
    merged = [((0, 0), (0, 3))]  # a merged title across the table
    assert (find_header(rows, COLUMNS, merged=merged).rows) == 1


def test_a_sparse_first_record_is_not_read_as_a_second_header_row() -> None:
    rows = [["Project ID", "Name", "Budget", "", "Sponsor"], ["PRJ-001", "", 100, "note", ""]]
    layout = find_header(rows, COLUMNS)
    assert layout is not None and (layout.row, layout.rows) == (0, 1)
    assert keys(layout) == {"project_id": 0, "project_name": 1, "budget": 2, "sponsor": 4}


# --- properties -----------------------------------------------------------------------------

_KNOWN = [text for col in COLUMNS for text in (col.name, *col.aliases)]
_CELL = st.one_of(
    st.sampled_from(_KNOWN),
    st.sampled_from(_KNOWN).map(lambda t: t.upper().replace(" ", "_")),
    st.sampled_from(_KNOWN).map(lambda t: t[:-1] if len(t) > 4 else t),  # a typo
    st.sampled_from(_KNOWN).map(lambda t: f"{t} (£m)"),
    st.text(max_size=20),
    st.sampled_from(["", None, "*", "-", "(", ")", "()", "[x]", "\ufeff", "\n"]),
    st.integers(-10, 3000), st.floats(allow_nan=True), st.booleans(),
)
_ROWS = st.lists(st.lists(_CELL, max_size=12), max_size=6)
_MERGES = st.lists(st.tuples(st.integers(0, 6), st.integers(0, 12), st.integers(0, 2),
                             st.integers(0, 3)).map(lambda m: (m[0], m[1], m[0] + m[2],
                                                               m[1] + m[3])), max_size=4)
_PATTERNS = st.dictionaries(st.sampled_from([c.key for c in COLUMNS]),
                            st.sampled_from(["Ref", "*", "Budget*", "*RAG", "", "Name"]),
                            max_size=3)


@EXAMPLES
@given(rows=_ROWS, merged=_MERGES, patterns=_PATTERNS)
def test_any_header_rows_give_a_consistent_layout(rows, merged, patterns) -> None:  # noqa: ANN001
    layout = find_header(rows, COLUMNS, merged=merged, patterns=patterns)
    if layout is None:
        return
    indexes = [m.index for m in layout.matches]
    assert indexes == sorted(set(indexes))
    matched = [m.key for m in layout.matches if m.key is not None]
    assert len(matched) == len(set(matched)) >= 2
    assert 0 <= layout.row < len(rows) and layout.rows in (1, 2)
    positions = layout.positions()
    for key, first, later in layout.duplicates:
        assert positions[key] == first and first != later
        assert later not in positions.values()
    for match in layout.matches:
        assert (match.how is None) == (match.key is None) == (match.score is None)
        assert match.suggestions == () or match.key is None
        assert len(match.suggestions) <= 3
        assert all(key not in positions for key, _ in match.suggestions)


@EXAMPLES
@given(text=_CELL)
def test_any_header_text_matches_at_most_one_column(text) -> None:  # noqa: ANN001
    match = match_header(text, COLUMNS)
    spellings = header_spellings(text)
    assert all(spellings) and len(set(spellings)) == len(spellings)
    if match.how == "fuzzy":
        assert match.score is not None and FUZZY_MIN_SCORE <= match.score <= 100
    if match.key is None:
        assert match.score is None


_FEW = [c for c in COLUMNS if c.key in ("project_id", "project_name", "budget")]
_FEW_CELL = st.one_of(st.sampled_from([t for c in _FEW for t in (c.name, *c.aliases)]),
                      st.sampled_from(["", None, "Notes", "Total", 12]))


@EXAMPLES
@given(rows=st.lists(st.lists(_FEW_CELL, max_size=5), max_size=8))
def test_no_row_below_the_header_maps_more_columns(rows) -> None:  # noqa: ANN001
    """The search may stop at a row that maps every column: whatever it chose, the rows
    below it, searched on their own, map no more columns (ties go to the upper row)."""
    layout = find_header(rows, _FEW)
    if layout is None:
        return
    found = sum(1 for m in layout.matches if m.key is not None)
    for start in range(layout.row + 1, len(rows)):
        below = find_header(rows[start:], _FEW)
        if below is not None:
            assert sum(1 for m in below.matches if m.key is not None) <= found
