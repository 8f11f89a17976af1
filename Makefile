# One entry point: every target creates .venv when it is missing and installs vibrastic into it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint bench clean

# The install says what it is doing, step by step, and pip shows each package as it is collected,
# downloaded (with a progress bar in a terminal) and installed: the first install downloads torch
# and friends and takes a few minutes.
$(STAMP): pyproject.toml constraints.txt
	@echo "==> [1/3] Python environment: $(VENV) (created once)"
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "==> [2/3] Updating pip in $(VENV)"
	@$(BIN)/python -m pip install --quiet --upgrade pip
	@echo "==> [3/3] Installing vibrastic and its dependencies (the first time takes a few"
	@echo "          minutes; torch, about 200 MB, is the largest download)"
	$(BIN)/python -m pip install --progress-bar on -c constraints.txt -e '.[dev]'
	@touch $(STAMP)
	@echo "==> Ready: vibrastic is installed in $(VENV)"

# The web course on SQLite (the learner's data folder); prints the URL. PORT=8001 make run.
PORT ?= 8000
run: $(STAMP)
	$(BIN)/vibrastic serve --port $(PORT)

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks

test: $(STAMP) lint
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) build *.egg-info src/*.egg-info
