"""The reports as a PMO adapts them: index order, bundled templates a user's own extend, the
Templates Folder setting, every register column in the templates, continuation pages.

Every test renders for real (HTML through the templates; PDFs through an engine, read back
with pypdf).
"""

from __future__ import annotations

import re
from pathlib import Path

from registers import project, register

from pmo_xl.batch import write_reports
from pmo_xl.reports import natural_key


def _index_ids(out: Path) -> list[str]:
    html = (out / "index.html").read_text(encoding="utf-8")
    return re.findall(r'<td class="id">([^<]*)</td>', html)


def test_natural_key_orders_as_people_read() -> None:
    ids = ["PRJ-10", "prj-0019", "PRJ-2", None, "PRJ-0020", "PRJ-0018", "prj-2", "ALPHA"]
    assert sorted(ids, key=natural_key) == ["ALPHA", "PRJ-2", "prj-2", "PRJ-10", "PRJ-0018",
                                            "prj-0019", "PRJ-0020", None]


def test_index_lists_projects_in_natural_case_insensitive_order(tmp_path: Path) -> None:
    ids = ["PRJ-0020", "prj-0019", "PRJ-10", "PRJ-2", "PRJ-0018"]
    projects = [project(**{"Project ID": pid, "Project Name": f"Project {pid}"}) for pid in ids]
    path = register(tmp_path / "Register.xlsx", projects)
    write_reports(path, tmp_path / "out", all_projects=True, formats=["html"])
    assert _index_ids(tmp_path / "out") == ["PRJ-2", "PRJ-10", "PRJ-0018", "prj-0019",
                                            "PRJ-0020"]
