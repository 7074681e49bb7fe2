#!/usr/bin/env bash
# Regenerate the README's pictures of the register workbook, docs/dashboard.png and
# docs/projects.png: LibreOffice renders the workbook to PDF (buttons made printable for the
# picture), poppler's pdftoppm turns page 1 (Dashboard) and page 2 (the first page of
# Projects) into PNGs, cropped to the sheet's content.
#
#   docs/render_pictures.sh [WORKBOOK]      # default: workbooks/PMO_Register.xlsm
#
# Needs soffice and a python3 with LibreOffice's uno module (as tests/lo_inspect.py does;
# PMO_XL_LO_PYTHON overrides /usr/bin/python3), and pdftoppm (Debian: poppler-utils).
set -euo pipefail
cd "$(dirname "$0")/.."

workbook=${1:-workbooks/PMO_Register.xlsm}
lo_python=${PMO_XL_LO_PYTHON:-/usr/bin/python3}
command -v pdftoppm >/dev/null || { echo "pdftoppm is missing (apt-get install poppler-utils)" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$lo_python" tests/lo_inspect.py "$workbook" --pdf "$work/register.pdf" --print-buttons >/dev/null

# render PAGE HEIGHT NAME: 80 dpi, below the page header (sheet name, date), HEIGHT pixels tall.
render() {
  pdftoppm -png -r 80 -f "$1" -l "$1" -singlefile -x 20 -y 36 -W 840 -H "$2" \
    "$work/register.pdf" "docs/$3"
  echo "docs/$3.png: $(wc -c <"docs/$3.png") bytes"
}
render 1 364 dashboard
render 2 432 projects
