"""Property-based tests of `pmo-xl lessons`: on arbitrary registers (test_properties'
generator: any cells, headers, sheets and profiles) it exits 0 or 2, with strict JSON on 0
and one line on stderr on 2, never a traceback, and never recommends a project its own
lessons. Bounded like test_properties (PMO_XL_HYPOTHESIS_EXAMPLES, default 25)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_properties import (  # the register generator and its runners
    AS_OF_DATES,
    PROPERTY,
    Outcome,
    RegisterSpec,
    digests,
    internal_errors_raise,  # noqa: F401  (a fixture, used by name)
    registers,
    run_in_process,
    strict_json,
    write_register,
)

from pmo_xl.errors import RegisterError
from pmo_xl.reader import read_register

QUERIES = st.one_of(st.text(max_size=60), st.sampled_from(
    ("supplier delays on data migration", "the", "", "🚀", "\x1b[31m", "go-live" * 50)))


def check(run: Outcome, json_out: bool = True) -> dict | None:
    assert "Traceback" not in run.out + run.err, run.out + run.err
    assert run.code in (0, 2), f"exit {run.code}: {run.err}"
    if run.code == 2:
        assert run.out == "", "exit 2 printed on stdout"
        lines = run.err.splitlines()
        assert len(lines) == 1 and lines[0].startswith("pmo-xl: error: "), run.err
        return None
    return strict_json(run.out) if json_out else {}


def project_ids(path: Path, options: list[str]) -> list[str]:
    """The register's Project IDs, as the API reads them (none when it is unusable)."""
    profile = next((o.split("=", 1)[1] for o in options if o.startswith("--profile=")), None)
    sheet = next((o.split("=", 1)[1] for o in options if o.startswith("--sheet=")), None)
    try:
        register = read_register(path, profile=profile, sheet=sheet)
    except RegisterError:
        return []
    return [str(x) for x in register.projects.values["project_id"].dropna().tolist()]


@PROPERTY
@given(spec=registers(), as_of=AS_OF_DATES, data=st.data())
def test_lessons_keeps_the_contract_and_never_recommends_own_lessons(
        spec: RegisterSpec, as_of: dt.date | None, data: st.DataObject, tmp_path: Path,
        capsys: pytest.CaptureFixture[str], internal_errors_raise: None) -> None:  # noqa: F811
    register = write_register(spec, tmp_path)
    before = digests(register.folder)
    options = register.options() + ([f"--as-of={as_of.isoformat()}"] if as_of else [])
    ids = project_ids(register.path, register.options())
    wanted = data.draw(st.sampled_from(ids) if ids else st.text(max_size=12), label="project")
    run = run_in_process(["lessons", str(register.path), f"--project={wanted}", "--format",
                          "json", "--top", "10", *options], capsys)
    found = check(run)
    if found is not None:
        own = {r["lesson_id"] for r in found["lessons"] if r["project_id"] == wanted}
        assert not own, f"{wanted}'s own lessons recommended: {own}"
        assert len(found["lessons"]) <= 10
    for extra in (["--themes"], [f"--query={data.draw(QUERIES, label='query')}"]):
        for fmt in ("json", "text"):
            outcome = check(run_in_process(["lessons", str(register.path), *extra,
                                            "--format", fmt, *options], capsys),
                            json_out=fmt == "json")
            if outcome and fmt == "json":
                assert set(outcome) in ({"themes"}, {"lessons"})
    assert digests(register.folder) == before, "the register's folder changed"
