# Two commands do everything on a fresh machine with Python 3.11 and make:
#   make demo   virtualenv, install, migrate, demo data, run the site on http://127.0.0.1:8000/
#   make test   virtualenv, install, the whole test suite
# `make serve` runs production's way (gunicorn, DEBUG off): see the README's "Production".
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 8000
WORKERS ?= 3
# The development targets turn DEBUG on (a development key, no HTTPS); the settings keep it off
# unless asked, so production never runs with it by accident. Links in mail point at the site
# on PORT unless SALESOPS_SITE_URL says where it is (`make demo PORT=8101`, `make worker
# PORT=8101`: the worker sends the mail).
SITE_URL = $${SALESOPS_SITE_URL:-http://127.0.0.1:$(PORT)}
DEV := DJANGO_DEBUG=$${DJANGO_DEBUG:-true} SALESOPS_SITE_URL=$(SITE_URL)

.PHONY: demo test install lint worker beat serve messages clean

demo: install
	$(DEV) $(BIN)/python manage.py migrate --noinput
	$(DEV) $(BIN)/python manage.py seed_demo --if-empty
	@echo
	@echo "SalesOps: open http://127.0.0.1:$(PORT)/ and log in as owner / demo"
	@echo "(every demo login is listed above; Ctrl+C stops the site)"
	$(DEV) $(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

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
	$(DEV) $(BIN)/python manage.py check
	$(DEV) $(BIN)/python manage.py makemigrations --check --dry-run

# With CELERY_BROKER_URL (and DATABASE_URL) set: the real worker and the scheduler.
# Without gossip and mingle (worker-to-worker chatter this project does not use): after a broker
# restart their channels were where a worker could fail to reconnect.
worker: install
	$(DEV) $(BIN)/celery -A salesops worker --loglevel=INFO --without-gossip --without-mingle

beat: install
	$(DEV) $(BIN)/celery -A salesops beat --loglevel=INFO

# Production's way, with the environment the README's "Production" section lists
# (DJANGO_SECRET_KEY, DJANGO_ALLOWED_HOSTS, DATABASE_URL, ...): DEBUG stays off.
serve: install
	$(BIN)/python manage.py check --deploy --fail-level WARNING
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py collectstatic --noinput
	$(BIN)/gunicorn salesops.wsgi:application --bind 0.0.0.0:$(PORT) --workers $(WORKERS) \
		--timeout 120 --access-logfile - --forwarded-allow-ips="$${FORWARDED_ALLOW_IPS:-127.0.0.1}"

clean:
	rm -rf $(VENV) db.sqlite3 .pytest_cache .ruff_cache staticfiles
