# Two commands do everything on a fresh machine with Python 3.11 and make:
#   make demo   virtualenv, install, migrate, demo data, run the site on http://127.0.0.1:8000/
#   make test   virtualenv, install, the whole test suite
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 8000

.PHONY: demo test install lint worker beat messages clean

demo: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo --if-empty
	@echo
	@echo "SalesOps: open http://127.0.0.1:$(PORT)/ and log in as owner / demo"
	@echo "(more demo logins are listed above; Ctrl+C stops the site)"
	$(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

test: install
	$(BIN)/pytest

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

lint: install
	$(BIN)/ruff check .
	$(BIN)/python manage.py check
	$(BIN)/python manage.py makemigrations --check --dry-run

# With CELERY_BROKER_URL (and DATABASE_URL) set: the real worker and the scheduler.
worker: install
	$(BIN)/celery -A salesops worker --loglevel=INFO

beat: install
	$(BIN)/celery -A salesops beat --loglevel=INFO

clean:
	rm -rf $(VENV) db.sqlite3 .pytest_cache .ruff_cache
