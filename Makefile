# Two entry points: `make run` and `make test`. Both create or reuse .venv.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: run test browser lint docs bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[all,dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/computeloop run

# Tests record runs into a throw-away store, never the user's.
test: $(STAMP) browser
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy
	COMPUTELOOP_STORE="$$(mktemp -d)/runs.duckdb" $(BIN)/python -m pytest -q -m "not slow"

# The report's browser test drives the system Chromium: install Debian's package when
# it is missing and this is root with apt-get; otherwise the test is skipped (CI fails it).
BROWSERS := chromium chromium-browser google-chrome google-chrome-stable
browser:
	@if [ -n "$$COMPUTELOOP_CHROMIUM" ]; then exit 0; fi; \
	for b in $(BROWSERS); do command -v $$b >/dev/null 2>&1 && exit 0; done; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "installing chromium (Debian package) for the report's browser test"; \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium \
	    >/dev/null; } || echo "could not install chromium: the browser test will be skipped"; \
	else \
	  echo "no Chromium, and no root apt-get to install it: the browser test will be skipped"; \
	fi

docs: $(STAMP)
	$(BIN)/python -m computeloop.docs --write docs/scenario-format.md

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_engine.py
	$(BIN)/python benchmarks/bench_monte_carlo.py
	$(BIN)/python benchmarks/bench_report.py
	$(BIN)/python benchmarks/bench_valuation.py
	$(BIN)/python benchmarks/bench_stress.py

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
