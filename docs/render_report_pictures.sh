#!/usr/bin/env bash
# Regenerate the README's pictures of the status reports, docs/report-project.png and
# docs/report-portfolio.png: pmo-xl writes the sample register's reports as PDF, poppler's
# pdftoppm turns the first page of one project report and of the portfolio summary into PNGs.
#
#   docs/render_report_pictures.sh [ENGINE]    # auto (default), chromium or weasyprint
#
# Needs an installed pmo-xl (.venv, `make demo`), a PDF engine, and pdftoppm (poppler-utils).
set -euo pipefail
cd "$(dirname "$0")/.."

engine=${1:-auto}
bin=${PMO_XL_BIN:-.venv/bin}
command -v pdftoppm >/dev/null || { echo "pdftoppm is missing (apt-get install poppler-utils)" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$bin/pmo-xl" sample "$work/PMO_Register.xlsx" >/dev/null
# PRJ-0003 is a Red project in execution: badges, exceptions and slipped milestones show.
"$bin/pmo-xl" report "$work/PMO_Register.xlsx" --project PRJ-0003 --portfolio --format pdf \
  --pdf-engine "$engine" --out "$work/reports" >/dev/null

# render PDF NAME: the first page at 80 dpi.
render() {
  pdftoppm -png -r 80 -f 1 -l 1 -singlefile "$1" "docs/$2"
  echo "docs/$2.png: $(wc -c <"docs/$2.png") bytes"
}
render "$(ls "$work"/reports/PRJ-0003-*.pdf)" report-project
render "$work/reports/portfolio-summary.pdf" report-portfolio
