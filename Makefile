# The two commands: `make run` starts the product, `make test` proves it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test lint format bench messages clean smsc

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $@ $(VENV)/.installed

run: $(VENV)/.installed
	$(BIN)/python -m smsmode.devrun

# The loopback SMSC of the SMPP tests and bench: npm's `smpp`, pinned by its lockfile
# (without npm the SMPP tests skip and say why).
smsc:
	if [ ! -d tests/sms/smsc/node_modules ] && command -v npm >/dev/null; then \
		npm ci --prefix tests/sms/smsc --no-audit --no-fund; fi

test: $(VENV)/.installed-dev smsc
	bash scripts/ensure-chromium.sh
	$(BIN)/python manage.py makemigrations --check --dry-run -v 0
	$(BIN)/pytest -n $${PYTEST_WORKERS:-auto} $(PYTEST_ARGS)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.installed-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: $(VENV)/.installed-dev smsc
	$(BIN)/python bench/run.py

# Needs gettext (apt-get install gettext); the compiled .mo files are committed.
messages: $(VENV)/.installed-dev
	$(BIN)/python manage.py makemessages -l fr --ignore=.venv --ignore=var --ignore=staticfiles
	$(BIN)/python manage.py compilemessages -l fr --ignore=.venv

clean:
	rm -rf $(VENV) var staticfiles test-artifacts
