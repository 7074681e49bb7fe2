# pmo-xl developer tasks. `make demo` and `make test` work on a fresh machine with Python >= 3.11.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
DEMO   := build/demo
WORKBOOK := workbooks/PMO_Register.xlsm

.PHONY: demo test lint docs bench workbook pictures reports clean

$(BIN)/python:
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "pmo-xl needs Python >= 3.11"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed

## demo: install, write the sample register, validate it and roll it up, build the workbook,
## write the status reports
demo: $(VENV)/.installed
	mkdir -p $(DEMO)
	$(BIN)/pmo-xl sample $(DEMO)/PMO_Register.xlsx --force
	$(BIN)/pmo-xl validate $(DEMO)/PMO_Register.xlsx || [ $$? -eq 1 ]  # 1 = findings, as planted
	$(BIN)/pmo-xl rollup $(DEMO)/PMO_Register.xlsx
	$(BIN)/pmo-xl rollup $(DEMO)/PMO_Register.xlsx --format json > $(DEMO)/rollup.json
	$(BIN)/pmo-xl new $(DEMO)/PMO_Register.xlsm --sample --force
	@echo "Demo register: $(DEMO)/PMO_Register.xlsx  roll-up JSON: $(DEMO)/rollup.json"
	@echo "Demo workbook with buttons and macros: $(DEMO)/PMO_Register.xlsm"
	$(MAKE) --no-print-directory reports

## reports: status reports of the demo register (HTML and PDF) into build/demo/reports
reports: $(VENV)/.installed
	@test -f $(DEMO)/PMO_Register.xlsx || $(BIN)/pmo-xl sample $(DEMO)/PMO_Register.xlsx
	@# Without a browser or WeasyPrint's pango, no PDF can be made: fall back to HTML reports.
	$(BIN)/pmo-xl report $(DEMO)/PMO_Register.xlsx --out $(DEMO)/reports || { \
	  echo "(no PDF written: see the message above; writing the HTML reports only)"; \
	  $(BIN)/pmo-xl report $(DEMO)/PMO_Register.xlsx --out $(DEMO)/reports --format html; }
	@echo "Status reports: open $(DEMO)/reports/index.html"

## workbook: rebuild the committed register workbook (sample portfolio, standalone macros)
workbook: $(VENV)/.installed
	$(BIN)/pmo-xl new $(WORKBOOK) --sample --force

## pictures: the README's pictures of the workbook, the reports and what the buttons do
## (LibreOffice, poppler-utils and a PDF engine needed; the buttons' pictures use test tooling)
pictures: $(VENV)/.installed-test
	docs/render_pictures.sh $(WORKBOOK)
	docs/render_report_pictures.sh
	$(BIN)/python docs/render_button_pictures.py

## test: install with test extras, lint, run the whole suite on every core (a test module's
## tests share one worker, so its fixtures are built once)
test: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -n auto --dist loadscope

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .

## docs: regenerate the README's generated sections from the code
docs: $(VENV)/.installed
	$(BIN)/python -m pmo_xl.docs README.md

## bench: the performance benchmark (minutes; figures go into the README by hand)
bench: $(VENV)/.installed-test
	$(BIN)/python bench/bench_core.py
	$(BIN)/python bench/bench_workbook.py
	$(BIN)/python bench/bench_reports.py
	$(BIN)/python bench/bench_buttons.py
	$(BIN)/python bench/bench_lessons.py
	$(BIN)/python bench/bench_raid.py

clean:
	rm -rf build .pytest_cache
