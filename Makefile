# Two commands for a fresh machine (README): `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: run test test-latest lock lint bundle clean

# Exact versions of everything, made by `make lock` (uv pip compile, universal: every platform
# and Python the project supports). Installs read them as pip constraints, so a new machine
# runs what was tested; pyproject keeps the ranges for people installing into their own env.
LOCK_APP := requirements/app.txt
LOCK_ALL := requirements/all.txt

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip setuptools wheel

# The app alone: no TensorFlow.
$(VENV)/.app: pyproject.toml $(LOCK_APP) | $(BIN)/python
	$(BIN)/pip install --quiet -c $(LOCK_APP) -e .
	touch $@

# Everything: app + training and cluster extras + test tools.
$(VENV)/.dev: pyproject.toml $(LOCK_ALL) | $(BIN)/python
	$(BIN)/pip install --quiet -c $(LOCK_ALL) -e ".[train,dev,cluster]"
	touch $@ $(VENV)/.app

run: $(VENV)/.app
	$(BIN)/fer-companion $(ARGS)

test: $(VENV)/.dev
	$(BIN)/ruff check app training tests benchmarks
	$(BIN)/lint-imports
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q $(PYTEST_ARGS)

# One-folder desktop bundle in dist/fer-companion, then its offscreen smoke test.
bundle: $(VENV)/.app
	$(BIN)/pip install --quiet -c $(LOCK_APP) -e ".[bundle]"
	$(BIN)/pyinstaller --noconfirm --clean --log-level WARN --distpath dist \
		--workpath build/pyinstaller packaging/fer-companion.spec
	QT_QPA_PLATFORM=offscreen dist/fer-companion/fer-companion --self-test
	du -sh dist/fer-companion

# Refresh the lock from pyproject's ranges (newest versions they allow), then run `make test`.
lock: | $(BIN)/python
	$(BIN)/pip install --quiet uv
	$(BIN)/uv pip compile --quiet --universal --python-version 3.10 --extra bundle \
		pyproject.toml -o $(LOCK_APP)
	$(BIN)/uv pip compile --quiet --universal --python-version 3.10 \
		--extra train --extra dev --extra cluster --extra bundle pyproject.toml -o $(LOCK_ALL)

# The suite against the newest versions pyproject allows (not in CI): drift is seen before
# the lock is refreshed. Its own venv, so the locked one stays as tested.
LATEST := .venv-latest
test-latest:
	test -x $(LATEST)/bin/python || $(PYTHON) -m venv $(LATEST)
	$(LATEST)/bin/pip install --quiet --upgrade pip setuptools wheel
	$(LATEST)/bin/pip install --quiet --upgrade --upgrade-strategy eager -e ".[train,dev,cluster]"
	$(LATEST)/bin/pip freeze --exclude-editable > $(LATEST)/versions.txt
	$(LATEST)/bin/ruff check app training tests benchmarks
	$(LATEST)/bin/lint-imports
	QT_QPA_PLATFORM=offscreen $(LATEST)/bin/python -m pytest -q $(PYTEST_ARGS)

lint: $(VENV)/.dev
	$(BIN)/ruff check app training tests benchmarks

clean:
	rm -rf $(VENV) $(LATEST) build dist *.egg-info
