"""The RAID log's pictures on the portfolio summary, as inline SVG markup.

A report is one self-contained file (no script, nothing fetched), so its pictures are SVG
written into the page. They are drawn here in Python rather than in a template because their
geometry is arithmetic (cell positions, a circle of nodes, arrowheads) that a template should
not do, and because every register text in them must be escaped: project IDs are whatever
the register holds. The figures drawn are the roll-up's (`pmo_xl.raid.raid_summary`): the
heat map's counts and the cross-project dependencies with their at-risk state.
"""

from __future__ import annotations

import math
from typing import Any

from markupsafe import Markup, escape

RED, AMBER, GREEN = "#c53030", "#dd6b20", "#2f855a"
_RED_FILL, _AMBER_FILL, _GREEN_FILL = "#fed7d7", "#feebc8", "#c6f6d5"
_INK, _MUTED, _LINE = "#1f2933", "#52606d", "#9aa5b1"
MAX_GRAPH_NODES = 24  # more projects than this make a graph nobody can read on A4
_LABEL_CHARACTERS = 12


def score_band(score: int, high_risk_score: int) -> str:
    """'high' from the Settings High Risk Score, 'medium' from half of it, else 'low'."""
    if score >= high_risk_score:
        return "high"
    return "medium" if score >= high_risk_score / 2 else "low"


_BAND_FILL = {"high": _RED_FILL, "medium": _AMBER_FILL, "low": _GREEN_FILL}


def heat_map_svg(heat_map: dict[str, Any], high_risk_score: int) -> Markup:
    """The 5 × 5 probability × impact grid of open risks (probability 5 at the top, impact 5
    on the right), each cell coloured by its score's band and holding its count."""
    counts: list[list[int]] = heat_map["counts"]
    size, left, top = 28, 34, 6
    scale = len(counts)
    parts = [f'<svg class="heat-map" viewBox="0 0 {left + size * scale + 6} '
             f'{top + size * scale + 30}" role="img" aria-label="Open risks by probability '
             f'and impact">']
    for p_index, row in enumerate(counts):
        probability = p_index + 1
        y = top + size * (scale - probability)
        parts.append(f'<text x="{left - 6}" y="{y + size / 2 + 3:g}" font-size="8" '
                     f'fill="{_MUTED}" text-anchor="end">{probability}</text>')
        for i_index, count in enumerate(row):
            impact = i_index + 1
            x = left + size * i_index
            band = score_band(probability * impact, high_risk_score)
            weight = ' font-weight="bold"' if count else ""
            parts.append(
                f'<g class="cell" data-probability="{probability}" data-impact="{impact}" '
                f'data-band="{band}"><rect x="{x}" y="{y}" width="{size}" height="{size}" '
                f'fill="{_BAND_FILL[band]}" stroke="#fff" stroke-width="1"/>'
                f'<text x="{x + size / 2:g}" y="{y + size / 2 + 4:g}" font-size="10" '
                f'text-anchor="middle" fill="{_INK if count else _LINE}"{weight}>'
                f'{int(count)}</text></g>')
    bottom = top + size * scale
    for i_index in range(scale):
        parts.append(f'<text x="{left + size * i_index + size / 2:g}" y="{bottom + 10}" '
                     f'font-size="8" fill="{_MUTED}" text-anchor="middle">{i_index + 1}</text>')
    parts.append(f'<text x="{left + size * scale / 2:g}" y="{bottom + 22}" font-size="8" '
                 f'fill="{_MUTED}" text-anchor="middle">Impact →   (rows: probability ↑)'
                 f'</text></svg>')
    return Markup("".join(parts))


def _edges(dependencies: list[dict[str, Any]]) -> list[tuple[str, str, bool, list[str]]]:
    """One edge per (waiting project, project waited for): at risk when any of its
    dependencies is, with the RAID IDs behind it; at-risk edges first."""
    merged: dict[tuple[str, str], tuple[bool, list[str]]] = {}
    for d in dependencies:
        if d.get("project_id") is None or d.get("depends_on") is None:
            continue
        key = (str(d["project_id"]), str(d["depends_on"]))
        at_risk, ids = merged.get(key, (False, []))
        merged[key] = (at_risk or bool(d.get("dependency_at_risk")),
                       [*ids, str(d.get("raid_id") or "–")])
    edges = [(a, b, risk, ids) for (a, b), (risk, ids) in merged.items()]
    return sorted(edges, key=lambda edge: not edge[2])


def graph_edges(dependencies: list[dict[str, Any]], max_nodes: int = MAX_GRAPH_NODES
                ) -> tuple[list[str], list[tuple[str, str, bool, list[str]]], int]:
    """The projects (nodes) and dependencies (edges) the graph draws, at-risk ones first,
    while both ends fit in `max_nodes`; and how many edges that leaves out."""
    nodes: list[str] = []
    kept = []
    edges = _edges(dependencies)
    for waiting, waited, at_risk, ids in edges:
        new = [n for n in dict.fromkeys((waiting, waited)) if n not in nodes]
        if len(nodes) + len(new) > max_nodes:
            continue
        nodes += new
        kept.append((waiting, waited, at_risk, ids))
    return nodes, kept, len(edges) - len(kept)


def dependency_graph_svg(dependencies: list[dict[str, Any]],
                         max_nodes: int = MAX_GRAPH_NODES) -> Markup:
    """Projects on a circle, an arrow from each project to the project it waits for; red
    when the dependency is at risk. Empty markup when there is no cross-project dependency."""
    nodes, edges, left_out = graph_edges(dependencies, max_nodes)
    if not nodes:
        return Markup("")
    width, height, radius = 300.0, 200.0, 7.0
    centre_x, centre_y = width / 2, height / 2 - 4
    ring_x, ring_y = width / 2 - 55, height / 2 - 24
    at = {}
    for k, node in enumerate(nodes):
        angle = 2 * math.pi * k / len(nodes) - math.pi / 2
        at[node] = (centre_x + ring_x * math.cos(angle), centre_y + ring_y * math.sin(angle))
    parts = [f'<svg class="dependency-graph" viewBox="0 0 {width:g} {height:g}" role="img" '
             f'aria-label="Dependencies between projects">']
    for waiting, waited, at_risk, ids in edges:
        parts.append(_arrow(at[waiting], at[waited], radius, at_risk, waiting, waited, ids))
    for k, node in enumerate(nodes):
        parts.append(_node(node, at[node], 2 * math.pi * k / len(nodes) - math.pi / 2, radius))
    legend = f"→ waits for; red: at risk{f'; {left_out} more not drawn' if left_out else ''}"
    parts.append(f'<text x="0" y="{height - 2:g}" font-size="7" fill="{_MUTED}">'
                 f'{escape(legend)}</text></svg>')
    return Markup("".join(parts))


def _node(node: str, at: tuple[float, float], angle: float, radius: float) -> str:
    """A project's circle, its ID beside it on the outside of the ring (shortened)."""
    x, y = at
    label = node if len(node) <= _LABEL_CHARACTERS else f"{node[:_LABEL_CHARACTERS - 1]}…"
    cos, sin = math.cos(angle), math.sin(angle)
    anchor = "middle" if abs(cos) < 0.3 else ("start" if cos > 0 else "end")
    lx, ly = x + cos * (radius + 3), y + sin * (radius + 3) + 2.5 + (5 * sin if abs(cos) < 0.3
                                                                    else 0)
    return (f'<g class="node" data-project="{escape(node)}"><circle cx="{x:.1f}" cy="{y:.1f}" '
            f'r="{radius:g}" fill="#f0f4f8" stroke="#486581"/><text x="{lx:.1f}" '
            f'y="{ly:.1f}" font-size="7.5" fill="{_INK}" text-anchor="{anchor}">'
            f'{escape(label)}</text></g>')


def _arrow(start: tuple[float, float], end: tuple[float, float], radius: float,
           at_risk: bool, waiting: str, waited: str, ids: list[str]) -> str:
    """A line between two node circles' edges with an arrowhead at `end`."""
    (x1, y1), (x2, y2) = start, end
    length = math.hypot(x2 - x1, y2 - y1) or 1.0
    ux, uy = (x2 - x1) / length, (y2 - y1) / length
    # A little to the right of the way it points: A → B and B → A stay two arrows.
    x1, y1, x2, y2 = x1 - uy * 2.5, y1 + ux * 2.5, x2 - uy * 2.5, y2 + ux * 2.5
    sx, sy = x1 + ux * radius, y1 + uy * radius
    tx, ty = x2 - ux * (radius + 1), y2 - uy * (radius + 1)
    head, half = 6.0, 3.0
    bx, by = tx - ux * head, ty - uy * head
    points = (f"{tx:.1f},{ty:.1f} {bx - uy * half:.1f},{by + ux * half:.1f} "
              f"{bx + uy * half:.1f},{by - ux * half:.1f}")
    colour = RED if at_risk else _LINE
    title = escape(f"{waiting} waits for {waited} ({', '.join(ids)})"
                   f"{': at risk' if at_risk else ''}")
    return (f'<g class="edge" data-from="{escape(waiting)}" data-to="{escape(waited)}" '
            f'data-at-risk="{str(at_risk).lower()}"><title>{title}</title>'
            f'<line x1="{sx:.1f}" y1="{sy:.1f}" x2="{bx:.1f}" y2="{by:.1f}" stroke="{colour}" '
            f'stroke-width="{1.6 if at_risk else 1}"/><polygon points="{points}" '
            f'fill="{colour}"/></g>')
