# Deux commandes suffisent sur une machine neuve : `make run` et `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# Paquets Debian nécessaires : WeasyPrint (sous-ensembles de polices HarfBuzz,
# une police) et, pour les tests de navigateur, chromium.
PAQUETS_RUN  := libharfbuzz-subset0 libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core
PAQUETS_TEST := $(PAQUETS_RUN) chromium
RUN_ENV := DEBUG=1

.PHONY: run serve test systeme systeme-test install install-dev migrate demo lint format clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installe: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	@touch $@

$(VENV)/.installe-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e ".[dev]"
	@touch $@ $(VENV)/.installe

install: $(VENV)/.installe
install-dev: $(VENV)/.installe-dev

# Vérifie (et installe si l'on est root) les paquets système.
define verifier_paquets
	@manquants=""; for p in $(1); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || manquants="$$manquants $$p"; \
	done; \
	if [ -n "$$manquants" ]; then \
	  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
	    echo "Installation des paquets système :$$manquants"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$manquants >/dev/null; \
	  else \
	    echo "Paquets système manquants :$$manquants"; \
	    echo "Installez-les avec : sudo apt-get install$$manquants"; exit 1; \
	  fi; \
	fi
endef

systeme:
	$(call verifier_paquets,$(PAQUETS_RUN))

systeme-test:
	$(call verifier_paquets,$(PAQUETS_TEST))

migrate: install systeme
	$(RUN_ENV) $(BIN)/python manage.py migrate --noinput -v 0

demo: migrate
	$(RUN_ENV) $(BIN)/python manage.py charger_referentiel
	$(RUN_ENV) $(BIN)/python manage.py charger_demo

# Le serveur web et un worker des tâches de fond (renouvellement annuel) : une
# commande, un Ctrl+C arrête les deux.
run: demo
	@echo "Application servie sur http://127.0.0.1:8000 avec son worker (Ctrl+C pour arrêter)"
	$(RUN_ENV) bash -c 'trap "kill 0" EXIT; \
	  $(BIN)/python manage.py db_worker --no-reload & \
	  $(BIN)/python manage.py runserver 127.0.0.1:8000'


# Production : gunicorn + WhiteNoise sur les réglages de production. SECRET_KEY,
# DATABASE_URL, ALLOWED_HOSTS… viennent de l'environnement (voir README).
SERVE_ENV := STATIC_MANIFEST=1
serve: install systeme
	@test -n "$$SECRET_KEY" || { echo "SECRET_KEY doit être défini (voir README, Déploiement)."; exit 1; }
	$(SERVE_ENV) $(BIN)/python manage.py collectstatic --noinput -v 0
	@# Migrations par le rôle propriétaire des tables (MIGRATION_DATABASE_URL),
	@# l'application par un rôle qui ne les possède pas (README, Rôles de base de données).
	$(SERVE_ENV) DATABASE_URL="$${MIGRATION_DATABASE_URL:-$$DATABASE_URL}" $(BIN)/python manage.py migrate --noinput -v 0
	$(SERVE_ENV) $(BIN)/python manage.py charger_grille
	$(SERVE_ENV) $(BIN)/python manage.py nettoyer_fichiers_orphelins -v 0
	$(SERVE_ENV) $(BIN)/python manage.py charger_referentiel
	@# gunicorn et le worker des tâches de fond (file en base, django-tasks-db) ;
	@# sous systemd, deux unités (README, Déploiement).
	$(SERVE_ENV) CONN_MAX_AGE=$${CONN_MAX_AGE:-60} bash -c 'trap "kill 0" EXIT; \
	  $(BIN)/python manage.py db_worker --no-reload & \
	  $(BIN)/gunicorn config.wsgi:application --config config/gunicorn.conf.py'

test: install-dev systeme-test
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles
