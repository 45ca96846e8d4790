# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# SEMINARS_DEV=1: local commands may use the development SECRET_KEY (seminars/web/security.py).
FLASK := SEMINARS_DEV=1 $(BIN)/flask --app wsgi
INSTALLED := $(VENV)/.installed
CATALOGS := $(wildcard seminars/translations/*/LC_MESSAGES/messages.po)
COMPILED := $(CATALOGS:.po=.mo)

.PHONY: setup run test lint format db translations-update clean

$(INSTALLED): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

%.mo: %.po $(INSTALLED)
	$(BIN)/pybabel compile --use-fuzzy -i $< -o $@

setup: $(INSTALLED) $(COMPILED)

db: setup
	$(FLASK) db upgrade
	$(FLASK) seminars demo

run: db
	@echo "Log in at http://127.0.0.1:5000/login as demo@example.org / seminarier-demo"
	$(BIN)/honcho start -f Procfile.dev

# The whole suite in three runs side by side (2 cores are busier that way than with any two):
# the browser tests (they bring their own server), the rest on SQLite, and the rest again on
# PostgreSQL. The PostgreSQL and browser reports follow the SQLite one.
test: setup
	@$(BIN)/pytest -p no:cacheprovider -m browser > .pytest-browser.log 2>&1 & browser=$$!; \
	SEMINARS_TEST_DATABASE=postgresql $(BIN)/pytest -p no:cacheprovider -m "not browser and not burst" > .pytest-postgresql.log 2>&1 & postgresql=$$!; \
	$(BIN)/pytest -m "not browser"; sqlite=$$?; \
	wait $$postgresql; postgresql=$$?; wait $$browser; browser=$$?; \
	echo "=== PostgreSQL ==="; cat .pytest-postgresql.log; \
	echo "=== Browser tests ==="; cat .pytest-browser.log; \
	exit $$(( sqlite || postgresql || browser ))

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# After adding or changing UI text: refresh the catalogues, then translate the new entries.
translations-update: setup
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output --no-wrap -o seminars/translations/messages.pot .
	$(BIN)/pybabel update -i seminars/translations/messages.pot -d seminars/translations --no-fuzzy-matching --no-wrap --ignore-pot-creation-date

clean:
	rm -rf $(VENV) instance/*.sqlite3*
