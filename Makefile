# Inkpot's two commands are `make run` and `make test`; everything else is optional.

# The first Python 3.11+ found, unless PYTHON is given.
PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null \
	&& { echo $$p; break; }; done)
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
LAYOUT ?= functional
PYTEST_ARGS ?=
# Test processes (pytest-xdist's -n): one per core; 0 runs the tests in this process.
TEST_WORKERS ?= auto

.PHONY: install install-production run test test-copies lint serve bench compare screenshots translations skeleton clean

# .venv with an up-to-date pip, from the first Python 3.11+ (or PYTHON).
define create_venv
	@test -n "$(PYTHON)" || { echo "Inkpot needs Python 3.11 or newer (python3.11 on PATH, or PYTHON=...)." >&2; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
endef

# A compat (path-based) editable install: new packages and files need no reinstall.
install: $(INSTALLED)

$(INSTALLED): pyproject.toml
	$(create_venv)
	$(BIN)/python -m pip install --quiet -e '.[dev]' --config-settings editable_mode=compat
	@touch $@

# A server's install (deploy/README.md): the app and what serves it, without the
# test and lint tools. Editable too, so the checkout is the code that runs and nginx
# serves its static folders; run again after every `git pull`.
install-production:
	$(create_venv)
	$(BIN)/python -m pip install --quiet -e . --config-settings editable_mode=compat

run: install
	$(BIN)/python scripts/serve_dev.py

# The production stack on 127.0.0.1:8080, configs and logs in run/serve-$(LAYOUT)/ (deploy/README.md).
serve: install
	$(BIN)/python -m deploy.serve --layout $(LAYOUT)

# The whole suite on every core, each test file on one worker (its module's servers start
# once), in the order tests/conftest.py gives: the files with slow tests first. The ten
# slowest tests are listed at the end.
test: install
	$(BIN)/python -m pytest -x -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder \
		--durations=10 $(PYTEST_ARGS)

# `make test` runs only the smoke tests of the copies tests/test_skeleton.py makes;
# this runs each copy's whole `make test`, as CI does.
test-copies: install
	COPY_SUITE=full $(BIN)/python -m pytest -x --durations=10 $(PYTEST_ARGS) \
		tests/test_skeleton.py::test_its_own_make_test_passes

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# The load benchmark (bench/README.md): needs nginx and wrk; about 7 minutes on 2 cores.
# BENCH_ARGS="--growth" compares 1,000 with 100,000 posts; `--help` lists the rest.
BENCH_ARGS ?=
bench: install
	$(BIN)/python -m bench.run --layout $(LAYOUT) $(BENCH_ARGS)

compare: install
	$(BIN)/python scripts/compare_layouts.py

screenshots: install
	$(BIN)/python scripts/screenshots.py

# Extract every catalogue's messages, update its .po files and compile them (pybabel).
# The compiled .mo files are committed: a fresh clone speaks every language without this.
translations: install
	$(BIN)/python scripts/translations.py

# A new project from one layout (README.md, "Copy a layout"): DEST a new folder, NAME its package.
skeleton: install
	@test -n "$(DEST)" -a -n "$(NAME)" || { echo "make skeleton LAYOUT=functional|divisional DEST=<dir> NAME=<package>" >&2; exit 1; }
	$(BIN)/python -m scripts.skeleton --layout "$(LAYOUT)" --dest "$(DEST)" --name "$(NAME)"

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache
