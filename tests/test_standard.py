"""The register standard: defaults, a workbook's Lists sheet, profiles, and what wins."""

from __future__ import annotations

from pathlib import Path

import pytest

from pmo_xl.errors import RegisterError
from pmo_xl.profile import PROFILE_KEYS, apply_profile, find_profile, load_profile
from pmo_xl.schema import RAG, STAGES
from pmo_xl.standard import DEFAULT_STANDARD, lists_layout, with_lists


def profile(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "pmo-xl.toml"
    path.write_text(text, encoding="utf-8")
    return path


def applied(tmp_path: Path, text: str):  # noqa: ANN201
    return apply_profile(DEFAULT_STANDARD, load_profile(profile(tmp_path, text)))


def column(standard, sheet: str, key: str):  # noqa: ANN001, ANN201
    return standard.sheet(sheet).column(key)


def test_defaults_are_the_canonical_vocabularies() -> None:
    phase = column(DEFAULT_STANDARD, "Projects", "phase").vocabulary
    assert phase.words == STAGES and phase.meanings == STAGES
    rag = column(DEFAULT_STANDARD, "Projects", "overall_rag").vocabulary
    assert rag.lookup()["g"] == "Green"
    # One RAG vocabulary serves the three RAG columns; categories are open.
    names = [v.name for v in DEFAULT_STANDARD.vocabularies()]
    assert names.count("RAG") == 1 and "Lesson Category" in names
    layout = dict((v.name, means) for v, means in lists_layout(DEFAULT_STANDARD))
    assert layout["Phase"] and not layout["Lesson Category"]


def test_lists_sheet_replaces_a_vocabulary_with_meanings() -> None:
    rows = [["Phase", "Phase means", "RAG", "RAG means", "Category"],
            ["Scope", "Initiation", "On Track", "Green", "Finance"],
            ["Design", "Planning", "At Risk", "Amber", "People"],
            ["Construction", "Execution", "Off Track", "Red", None],
            ["Handover", "Closing", None, None, None],
            ["Closed", None, None, None, None]]
    standard = with_lists(DEFAULT_STANDARD, rows, "Lists")
    phase = column(standard, "Projects", "phase").vocabulary
    assert phase.words == ("Scope", "Design", "Construction", "Handover", "Closed")
    assert phase.meanings == ("Initiation", "Planning", "Execution", "Closing", "Closed")
    for key in ("overall_rag", "schedule_rag", "cost_rag"):
        assert column(standard, "Projects", key).vocabulary.words == ("On Track", "At Risk",
                                                                      "Off Track")
    # A column-named list ("Category") changes that column only.
    assert column(standard, "Lessons", "category").allowed == ("Finance", "People")
    assert standard.problems == ()
    assert standard.origin[-1] == "Lists sheet"


def test_lists_problems_are_reported_at_their_cell_and_the_rest_is_used() -> None:
    rows = [["Phase", "Phase means"], ["Design", None], ["Build", "Building"],
            ["Execution", None]]
    standard = with_lists(DEFAULT_STANDARD, rows, "Lists")
    assert [(p.cell, p.column) for p in standard.problems] == [("Lists!B2", "Phase"),
                                                               ("Lists!B3", "Phase")]
    assert "'Design' has no meaning" in standard.problems[0].message
    assert "not one of Initiation" in standard.problems[1].message
    phase = column(standard, "Projects", "phase").vocabulary
    # A canonical word needs no meaning; the others stay words, meaning unknown.
    assert phase.words == ("Design", "Build", "Execution")
    assert phase.meanings == (None, None, "Execution")


def test_legacy_lists_sheet_with_column_names_still_reads() -> None:
    rows = [["Phase", "Overall RAG", "Schedule RAG"], *[[p, r, r] for p, r in zip(
        STAGES, (*RAG, None, None), strict=True)]]
    standard = with_lists(DEFAULT_STANDARD, rows, "Lists")
    assert column(standard, "Projects", "overall_rag").allowed == RAG
    assert standard.problems == ()


def test_profile_tables_apply(tmp_path: Path) -> None:
    standard = applied(tmp_path, '''
not_tracked = ["Sponsor", "Project Manager", "Lessons.Owner"]
required = ["Programme"]

[sheets]
Projects = "Project Register"
Lessons = "lessons.csv"

[columns.Projects]
"Project ID" = "Ref"
"Budget" = ["Approved budget*", "BAC (£m)"]

[values.Projects."Overall RAG"]
"Amber/Red" = "Red"
"On Track" = "Green"

[vocabularies.Phase]
Scope = "Initiation"
Design = "Planning"
Construction = "Execution"
Handover = "Closing"
Closed = "Closed"

[settings]
"Date Order" = "MDY"
''')
    assert standard.sheet_sources == {"Projects": "Project Register", "Lessons": "lessons.csv"}
    assert standard.patterns("Projects") == {"project_id": ("Ref",),
                                             "budget": ("Approved budget*", "BAC (£m)")}
    assert not column(standard, "Projects", "sponsor").tracked
    assert not column(standard, "Lessons", "owner").tracked
    assert column(standard, "Projects", "programme").required
    rag = column(standard, "Projects", "overall_rag").vocabulary
    assert rag.words[:2] == ("Amber/Red", "On Track")
    assert rag.meaning("Amber/Red") == "Red" and rag.meaning("Green") == "Green"
    # Value maps are per column; the vocabulary replaces the Phase words everywhere.
    assert column(standard, "Projects", "schedule_rag").allowed == RAG
    assert column(standard, "Projects", "phase").vocabulary.meaning("Design") == "Planning"
    assert standard.origin[-1] == "profile pmo-xl.toml"


def test_value_map_to_an_organisation_word_takes_its_meaning(tmp_path: Path) -> None:
    standard = applied(tmp_path, '''
[vocabularies.Phase]
Design = "Planning"
Build = "Execution"
Closed = "Closed"
[values.Projects.Phase]
"Construction" = "Build"
''')
    phase = column(standard, "Projects", "phase").vocabulary
    assert phase.meaning("Construction") == "Execution"


@pytest.mark.parametrize(("text", "expected"), [
    ("[colums.Projects]\n", "unknown key 'colums' (did you mean 'columns'?)"),
    ("[columns.Projets]\n'Project ID' = 'Ref'\n", "names sheet 'Projets' (did you mean "
                                                  "'Projects'?)"),
    ("[columns.Projects]\n'Sponser' = 'SRO'\n", "names column 'Sponser', which is not a "
                                                "Projects column (did you mean 'Sponsor'?)"),
    ("[values.Projects.Phase]\n'Build' = 'Delivery'\n", "the value must be one of"),
    ("[values.Projects.Sponsor]\n'x' = 'y'\n", "Sponsor is not a column with a list of "
                                               "values"),
    ("[vocabularies.Phase]\nDesign = 'Drawing'\n", "'Design' means 'Drawing', which is not "
                                                   "one of Initiation"),
    ("[vocabularies.Stage]\nDesign = 'Planning'\n", "has no vocabulary 'Stage'"),
    ("not_tracked = ['Project ID']\n", "Projects cannot be read without Project ID"),
    ("not_tracked = 'Sponsor'\n", "must be a list of column names"),
    ("[settings]\n'Date Ordre' = 'MDY'\n", "did you mean 'Date Order'?"),
    ("[sheets\nProjects = 1\n", "not valid TOML"),
])
def test_profile_mistakes_refuse_with_one_line(tmp_path: Path, text: str,
                                               expected: str) -> None:
    with pytest.raises(RegisterError) as caught:
        standard = applied(tmp_path, text)
        load_profile(tmp_path / "pmo-xl.toml").settings()
        assert standard is not None
    message = str(caught.value)
    assert expected in message, message
    assert "pmo-xl.toml" in message and "\n" not in message


def test_profile_without_project_name_is_allowed(tmp_path: Path) -> None:
    standard = applied(tmp_path, 'not_tracked = ["Project Name"]\n')
    assert not column(standard, "Projects", "project_name").tracked


def test_profile_beside_the_register_is_found(tmp_path: Path) -> None:
    register = tmp_path / "Register.xlsx"
    register.write_bytes(b"")
    assert find_profile(register) is None
    found = profile(tmp_path, "")
    assert find_profile(register) == found
    assert find_profile(Path("Book1")) is None  # an unsaved workbook: no folder to look in
    assert find_profile(register, tmp_path / "other.toml") == tmp_path / "other.toml"
    with pytest.raises(RegisterError, match="profile not found"):
        load_profile(tmp_path / "other.toml")


def test_every_profile_key_is_documented_with_an_example_that_loads(tmp_path: Path) -> None:
    for key in PROFILE_KEYS:
        assert key.meaning and key.example
    text = "\n".join(k.example for k in PROFILE_KEYS if "\n" not in k.example or
                     k.example.startswith("["))
    # Top-level keys first (TOML), then the tables.
    top = [k.example for k in PROFILE_KEYS if not k.example.startswith("[")]
    tables = [k.example for k in PROFILE_KEYS if k.example.startswith("[")]
    text = "\n".join(top + tables)
    standard = applied(tmp_path, text)
    assert standard.sheet_sources["Projects"] == "Project Register"
