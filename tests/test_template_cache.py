"""Compiled report templates kept between runs (`pmo_xl.template_cache`): a second renderer
loads what the first compiled, a changed template is compiled again, and a cache that is
damaged or cannot be written changes nothing but the time."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import jinja2
import pytest

from pmo_xl.reports import ReportRenderer

TEMPLATE = "note.html.j2"


@pytest.fixture
def temp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The temporary folder the cache lives in, the test's own."""
    folder = tmp_path / "temp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


@pytest.fixture
def compiled(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The templates Jinja2 compiles from source, by name, as they are compiled."""
    names: list[str] = []
    compile_source = jinja2.Environment.compile

    def watched(self: jinja2.Environment, source: str, name: str | None = None,
                *args: object, **kwargs: object) -> object:
        names.append(str(name))
        return compile_source(self, source, name, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(jinja2.Environment, "compile", watched)
    return names


def _templates(folder: Path, text: str) -> Path:
    folder.mkdir(exist_ok=True)
    (folder / TEMPLATE).write_text(text, encoding="utf-8")
    return folder


def _render(folder: Path, name: str = TEMPLATE) -> str:
    return ReportRenderer(folder).render(name, {"name": "Apollo"}, "2026-12-03")


def _cache_files(temp: Path) -> list[Path]:
    return sorted(temp.glob("_jinja2-cache-*/pmo-xl-*.cache"))


def test_a_second_renderer_loads_what_the_first_compiled(tmp_path: Path, temp: Path,
                                                         compiled: list[str]) -> None:
    folder = _templates(tmp_path / "templates", "<p>{{ common.name }}</p>")
    first = _render(folder)
    assert compiled == [TEMPLATE] and len(_cache_files(temp)) == 1
    assert _render(folder) == first == "<p>Apollo</p>"
    assert compiled == [TEMPLATE], "compiled again"
    _templates(folder, "<p>{{ common.name | upper }}</p>")  # a changed source
    assert _render(folder) == "<p>APOLLO</p>" and compiled == [TEMPLATE, TEMPLATE]


def test_the_bundled_reports_come_from_the_cache_unchanged(temp: Path,
                                                           compiled: list[str]) -> None:
    """The project template with its base and macros: the same names compiled once."""
    loaded = ReportRenderer().env.get_template("project.html.j2")
    first = sorted(compiled)
    assert "project.html.j2" in first
    again = ReportRenderer().env.get_template("project.html.j2")
    assert sorted(compiled) == first
    assert again.filename == loaded.filename
    assert again.debug_info == loaded.debug_info  # error lines stay the template's own


def test_a_damaged_cache_file_is_compiled_afresh(tmp_path: Path, temp: Path,
                                                 compiled: list[str]) -> None:
    folder = _templates(tmp_path / "templates", "<p>{{ common.name }}</p>")
    _render(folder)
    [cached] = _cache_files(temp)
    for damage in (b"", b"garbage" * 10, cached.read_bytes()[:-7]):
        cached.write_bytes(damage)
        assert _render(folder) == "<p>Apollo</p>"
    assert len(compiled) == 4


def test_a_cache_folder_that_goes_away_only_costs_time(tmp_path: Path, temp: Path,
                                                       compiled: list[str]) -> None:
    """The temporary folder cleaned while pmo-xl runs: nothing can be read or written."""
    folder = _templates(tmp_path / "templates", "<p>{{ common.name }}</p>")
    _render(folder)
    renderer = ReportRenderer(folder)
    [cached] = _cache_files(temp)
    shutil.rmtree(cached.parent)
    assert renderer.render(TEMPLATE, {"name": "Apollo"}, "2026-12-03") == "<p>Apollo</p>"
    assert len(compiled) == 2 and not cached.parent.exists()


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to give a folder to another user")
def test_a_cache_folder_another_user_made_is_not_used(tmp_path: Path, temp: Path,
                                                      compiled: list[str]) -> None:
    """Jinja2's own check: a folder of that name someone else owns may hold their code."""
    folder = _templates(tmp_path / "templates", "<p>{{ common.name }}</p>")
    shared = temp / f"_jinja2-cache-{os.getuid()}"
    shared.mkdir()
    os.chown(shared, 4242, 4242)
    assert _render(folder) == _render(folder) == "<p>Apollo</p>"
    assert compiled == [TEMPLATE, TEMPLATE] and list(shared.iterdir()) == []
