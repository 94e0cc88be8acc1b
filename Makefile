# Two commands for a fresh machine (README): `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: run test lint bundle clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip setuptools wheel

# The app alone: no TensorFlow.
$(VENV)/.app: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

# Everything: app + training and cluster extras + test tools.
$(VENV)/.dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[train,dev,cluster]"
	touch $@ $(VENV)/.app

run: $(VENV)/.app
	$(BIN)/fer-companion $(ARGS)

test: $(VENV)/.dev
	$(BIN)/ruff check app training tests benchmarks
	$(BIN)/lint-imports
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q $(PYTEST_ARGS)

# One-folder desktop bundle in dist/fer-companion, then its offscreen smoke test.
bundle: $(VENV)/.app
	$(BIN)/pip install --quiet -e ".[bundle]"
	$(BIN)/pyinstaller --noconfirm --clean --log-level WARN --distpath dist \
		--workpath build/pyinstaller packaging/fer-companion.spec
	QT_QPA_PLATFORM=offscreen dist/fer-companion/fer-companion --self-test
	du -sh dist/fer-companion

lint: $(VENV)/.dev
	$(BIN)/ruff check app training tests benchmarks

clean:
	rm -rf $(VENV) build dist *.egg-info
