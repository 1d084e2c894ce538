# Each target creates .venv and installs the project when needed, so on a fresh machine
# `make demo` and `make test` are the whole set-up.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 8501
DAYS ?= 30
# The suite waits more than it computes (emulator faults, deadlines, subprocesses), so it runs on more
# workers than cores; tests that share one expensive thing stay on one worker (xdist_group, docs/testing.md).
WORKERS ?= 4

.PHONY: demo test lint bench clean

# Two stamps: `make demo` installs only what running needs (RUNTIME); test, lint and bench add the dev
# extra (STAMP: pytest, playwright, jupyter, pyspark: most of the download and the time).
RUNTIME := $(VENV)/.runtime
# uv, a pip-compatible installer, installs the stack in seconds where pip takes about 35 s even from its
# cache (docs/benchmarks.md: bench_first_run); it comes from PyPI into the venv itself (about 8 s), and
# pip does the install wherever uv cannot be had.
UV := $(BIN)/uv
INSTALL = if test -x $(UV); then $(UV) pip install --quiet --python $(BIN)/python $(1); \
	else $(BIN)/python -m pip install --quiet $(1); fi

$(RUNTIME): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	test -x $(UV) || $(BIN)/python -m pip install --quiet 'uv>=0.9,<1' || echo "uv unavailable: installing with pip"
	$(call INSTALL,-e .)
	touch $(RUNTIME)

$(STAMP): $(RUNTIME)
	$(call INSTALL,-e '.[dev]')
	# Vultr's OpenAPI client (tests only) pins typing_extensions~=4.3 and urllib3~=1.26, which the rest of
	# the stack outgrew; it runs on the newer ones, so it goes in without its pins (its frozendict: [dev])
	$(call INSTALL,--no-deps 'vultr-python-client==1.0.2')
	touch $(STAMP)

demo: $(RUNTIME)
	$(BIN)/vultr-catalog demo --port $(PORT) --days $(DAYS)

test: lint
	$(BIN)/python -m pytest -q -n $(WORKERS) --dist loadgroup

lint: $(STAMP)  # style, types, dead code and the package boundaries (settings in pyproject.toml)
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/vulture
	$(BIN)/lint-imports

bench: $(STAMP)
	$(BIN)/python -m benchmarks
	$(BIN)/python -m benchmarks.bench_site  # the static site beside the dashboard (needs chromium)

clean:
	rm -rf $(VENV) data/demo  # never data/*.duckdb: the warehouse is the only copy of the raw history
