# Two commands do everything on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
STORE ?= data/evaluation.sqlite
REPORTS ?= reports
# the demo has its own store and reports: the evaluator's store never receives the demo territories
DEMO_STORE := data/demo/demo.sqlite
DEMO_REPORTS := reports/demo
PORT ?=  # `make app PORT=8900`; default 8866, or a free port when 8866 is taken

.PHONY: venv demo test lint app demo-app clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@# uv installs from the package index what pip would, in seconds rather than minutes
	$(BIN)/python -m pip install --quiet "uv>=0.5"
	$(BIN)/uv pip install --quiet --compile-bytecode --python $(BIN)/python -e ".[test,lab]"
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $(STAMP)

venv: $(STAMP)

demo: venv
	@mkdir -p data/demo
	$(BIN)/collective-impact demo-data data/demo/demo.xlsx
	$(BIN)/collective-impact import data/demo/demo.xlsx --store $(DEMO_STORE)
	$(BIN)/collective-impact summary --store $(DEMO_STORE)
	$(BIN)/collective-impact batch --store $(DEMO_STORE) --out $(DEMO_REPORTS)
	@echo "Rapports d'évaluation de la démonstration : $(abspath $(DEMO_REPORTS))/index.html"
	@echo "Base de démonstration : $(DEMO_STORE) (make demo-app pour l'ouvrir dans les applications)"

lint: venv
	$(BIN)/ruff check collective_impact tests benchmarks

# two processes (the tests wait much on kernels, Voila and chromium): a module's tests, and those
# reading the demo reports, stay in one process (tests/conftest.py: run_group), the slow groups first
test: lint
	$(BIN)/python -m pytest -n 2 --dist loadgroup --no-loadscope-reorder

app: venv
	@# the first time, an empty store: the home app imports the evaluator's workbook into it
	@test -f $(STORE) || $(BIN)/python -c "import sys; from collective_impact.store import Store; Store(sys.argv[1])" $(STORE)
	$(BIN)/collective-impact app --store $(STORE) $(if $(strip $(PORT)),--port $(PORT))

demo-app: venv
	$(BIN)/collective-impact app --store $(DEMO_STORE) $(if $(strip $(PORT)),--port $(PORT))

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .ruff_cache
