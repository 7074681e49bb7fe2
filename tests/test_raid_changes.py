"""What changed in the RAID log between two registers a week apart (`pmo-xl changes`): items
opened, closed and escalated, risks whose score rose and risks that became issues, with the
changes planted here and worked out by hand; the same through a history's snapshot as
against the earlier copy."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from registers import VALID_RAID, project, register

from pmo_xl.changes import compare, sentence, summary_lines
from pmo_xl.cli import main
from pmo_xl.history import default_history_path, take_snapshot
from pmo_xl.reader import read_register

WEEK_1, WEEK_2 = dt.date(2026, 9, 23), dt.date(2026, 9, 30)
CLOSED_ON = dt.date(2026, 9, 28)


def item(raid_id: str, title: str, **changes: Any) -> dict[str, Any]:
    return {**VALID_RAID, "RAID ID": raid_id, "Title": title, **changes}


def _week_1() -> list[dict[str, Any]]:
    return [
        item("R-1", "Vendor insolvency", Probability=2, Impact=3),  # 6, rises to 20
        item("R-2", "Licence cost", Probability=3, Impact=4),  # closed in week 2
        item("I-1", "Test rig broken", Type="Issue"),  # escalated in week 2
        item("A-1", "Chase the supplier", Type="Action"),  # unchanged
        item("R-3", "Key staff leave", Probability=4, Impact=4),  # 16 falls to 9
        item("R-4", "Data quality", Probability=3, Impact=3),  # Probability 7: no score
        item("A-2", "Book the rehearsal", Type="Action", Status="Closed",
             **{"Closed On": dt.date(2026, 9, 20)}),  # re-opened in week 2
        item("R-6", "Supplier misses go-live"),  # happens in week 2: an issue now
    ]


def _week_2() -> list[dict[str, Any]]:
    r1, r2, i1, a1, r3, r4, a2, r6 = _week_1()
    r1.update(Probability=4, Impact=5)
    r2.update(Status="Closed", **{"Closed On": CLOSED_ON})
    i1.update(Escalate="Yes")
    r3.update(Probability=3, Impact=3)
    r4.update(Probability=7, Impact=5)
    a2.update(Status="Open", **{"Closed On": None})
    r6.update(Type="Issue")
    return [r1, r2, i1, a1, r3, r4, a2, r6,
            item("R-5", "Budget cut"),  # new and open
            item("D-1", "Needs the hub", Type="Dependency", Status="Closed",
                 **{"Closed On": CLOSED_ON, "Probability": None, "Impact": None}),  # new, closed
            item("I-2", "Outage at go-live", Type="Issue", Escalate="Yes",
                 **{"Project ID": "PRJ-002"})]  # new, open and escalated


@pytest.fixture
def weeks(tmp_path: Path) -> tuple[Path, Path]:
    projects = [project(), project(**{"Project ID": "PRJ-002"})]
    first = register(tmp_path / "Register 2026-09-23.xlsx", projects, raid=_week_1(),
                     settings={"Report Date": WEEK_1})
    second = register(tmp_path / "Register.xlsx", projects, raid=_week_2(),
                      settings={"Report Date": WEEK_2})
    return first, second


def _changes(first: Path, second: Path) -> Any:
    a, b = read_register(first), read_register(second)
    return compare(take_snapshot(a), take_snapshot(b), b.standard)


def test_raid_items_opened_closed_escalated_and_scores_risen(weeks: tuple[Path, Path]) -> None:
    result = _changes(*weeks)
    assert result.portfolio()["raid"] == {"opened": 3, "closed": 1, "escalated": 2,
                                          "scores_rose": 1, "became_issues": 1}
    by_kind = {kind: sorted(c.after if kind != "risk_score_rose" else c.note
                            for c in result.of_field(kind))
               for kind in ("raid_opened", "raid_closed", "raid_escalated", "risk_score_rose")}
    # Opened: R-5 and I-2 new and open, A-2 re-opened (D-1 is new but closed).
    assert by_kind == {"raid_opened": ["A-2", "I-2", "R-5"], "raid_closed": ["R-2"],
                       "raid_escalated": ["I-1", "I-2"],
                       "risk_score_rose": ["Risk R-1 (Vendor insolvency)"]}
    [rose] = result.of_field("risk_score_rose")
    assert (rose.project_id, rose.before, rose.after, rose.delta, rose.direction) == (
        "PRJ-001", 6, 20, 14, "worse")
    assert sentence(rose) == "Risk R-1 (Vendor insolvency): score rose from 6 to 20"
    [escalated] = [c for c in result.of("PRJ-002") if c.field == "raid_escalated"]
    assert sentence(escalated) == "Issue I-2 (Outage at go-live) escalated"
    [happened] = result.of_field("risk_became_issue")
    assert (happened.project_id, happened.direction) == ("PRJ-001", "worse")
    assert sentence(happened) == "Risk R-6 (Supplier misses go-live) became an issue"
    assert summary_lines(result)[-1] == ("RAID items opened 3, closed 1, escalated 2; risk "
                                         "scores rose 1; risks became issues 1")


def test_changes_command_shows_the_raid_log_in_text_and_json(
        weeks: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    first, second = weeks
    assert main(["snapshot", str(first), "--history", str(default_history_path(second))]) == 0
    capsys.readouterr()
    outputs = []
    for since in ("previous", str(first)):  # the history's snapshot and the earlier copy
        assert main(["changes", str(second), "--since", since, "--format", "json"]) == 0
        data = json.loads(capsys.readouterr().out)
        outputs.append({k: data[k] for k in ("since", "as_of", "portfolio", "projects")})
    assert outputs[0] == outputs[1]
    assert outputs[0]["portfolio"]["raid"]["opened"] == 3
    changes = {c["field"] for p in outputs[0]["projects"] for c in p["changes"]}
    assert {"raid_opened", "raid_closed", "raid_escalated", "risk_score_rose"} <= changes
    assert main(["changes", str(second), "--since", str(first)]) == 0
    text = capsys.readouterr().out
    assert ("RAID items opened 3, closed 1, escalated 2; risk scores rose 1; risks became "
            "issues 1") in text
    assert "- Risk R-2 (Licence cost) closed" in text
    assert "- Action A-2 (Book the rehearsal) opened" in text


def test_no_raid_log_no_raid_changes(tmp_path: Path) -> None:
    first = register(tmp_path / "a.xlsx", settings={"Report Date": WEEK_1})
    second = register(tmp_path / "b.xlsx", settings={"Report Date": WEEK_2})
    result = _changes(first, second)
    assert result.portfolio()["raid"] is None
    assert not any(line.startswith("RAID") for line in summary_lines(result))


def test_a_baseline_without_a_raid_log_opens_every_open_item(tmp_path: Path) -> None:
    first = register(tmp_path / "a.xlsx", settings={"Report Date": WEEK_1})
    second = register(tmp_path / "b.xlsx", [project(), project(**{"Project ID": "PRJ-002"})],
                      raid=_week_2(), settings={"Report Date": WEEK_2})
    raid = _changes(first, second).portfolio()["raid"]
    # Every open item of week 2 (all but R-2 and D-1) is new; I-1 and I-2 raised escalated.
    assert raid == {"opened": 9, "closed": 0, "escalated": 2, "scores_rose": 0,
                    "became_issues": 0}
