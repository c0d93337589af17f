# The two commands of the README: `make demo` runs the product, `make test` runs the tests.
# Each creates and uses a local virtualenv (.venv) with Python 3.11 or newer.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
ARGS ?=
PYTEST_ARGS ?=

.PHONY: demo test lint schema bench lock browser clean

# Dependencies come from the lock file (exact versions, checked by hash), then the project itself.
$(STAMP): pyproject.toml requirements/test.lock examples/csv_exports/pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed; set PYTHON=python3.11")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements/test.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	# The example third-party connector (docs/connectors.md): its tests install it as its users would.
	$(BIN)/python -m pip install --quiet --no-deps -e examples/csv_exports
	@touch $@

demo: $(STAMP)  ## Run the embedded demo: three partner forces and the hub (make demo ARGS="--port 8080")
	$(BIN)/hub demo $(ARGS)

test: $(STAMP)  ## Run the test suite (SQLite; PostgreSQL too where HUB_TEST_DATABASE_URL is set)
	$(BIN)/pytest $(PYTEST_ARGS)

lint: $(STAMP)  ## ruff and mypy (strict on hub/, connectors/ and the example connector)
	$(BIN)/ruff check --no-cache hub connectors tests bench examples
	$(BIN)/mypy
	$(BIN)/mypy --strict examples/csv_exports/csv_exports

schema: $(STAMP)  ## Regenerate schema.graphql from the code
	$(BIN)/hub schema export -o schema.graphql

bench: $(STAMP)  ## Latency and throughput through the hub against partners with added latency
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	$(BIN)/python -m bench.federation $(ARGS)

browser:  ## Debian's Chromium, for the GraphiQL browser tests (Playwright drives it; it downloads no browser)
	@command -v chromium >/dev/null 2>&1 || (apt-get install -y -q chromium || sudo apt-get install -y -q chromium)

lock: $(STAMP)  ## Re-resolve requirements/*.lock from pyproject.toml (after changing a dependency)
	$(BIN)/python -m pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --extra postgres --universal --python-version 3.11 --generate-hashes \
		--no-header --quiet -o requirements/runtime.lock
	$(BIN)/uv pip compile pyproject.toml --extra postgres --extra test --universal --python-version 3.11 \
		--generate-hashes --no-header --quiet -o requirements/test.lock

clean:
	rm -rf $(VENV) .hub .pytest_cache .mypy_cache .ruff_cache
