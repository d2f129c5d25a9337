"""Réglages du projet, lus dans l'environnement (12-factor, django-environ).

SQLite par défaut (``make run``, ``make test``) ; PostgreSQL avec
``DATABASE_URL=postgres://…``. ``DEBUG`` est désactivé sauf demande explicite.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONE, SELF

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)

# Sans SECRET_KEY, une clé de développement marquée « insecure » : la commande
# ``check --deploy`` la signale, ce qui interdit de la garder en production.
SECRET_KEY = env.str(
    "SECRET_KEY", default="django-insecure-cle-de-developpement-uniquement-cdg62"
)

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# Jeton périmé (connexion dans un autre onglet…) : page française, jamais brute.
CSRF_FAILURE_VIEW = "config.views.echec_csrf"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_filters",
    "simple_history",
    "axes",
    "csp",
    "django_tasks",
    "django_tasks_db",
    "comptes",
    "conventions",
    "tarifs",
    "devis",
    "abonnements",
    "facturation",
    "archives",
]

# L'adresse publique de l'application : les liens des courriels (relances).
ADRESSE_SITE = env.str("ADRESSE_SITE", default="http://127.0.0.1:8000")

# Tâches de fond (API Tasks de Django, backport django-tasks) : file en base
# par django-tasks-db, traitée par `manage.py db_worker` (lancé par make run et
# make serve). Le moteur est un réglage : RQ ou Celery peuvent prendre le
# relais (TASKS_BACKEND) ; les tests exécutent les tâches sur-le-champ.
TASKS = {
    "default": {
        "BACKEND": env.str("TASKS_BACKEND", default="django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}

# Une campagne de renouvellement est mise en file en autant de parts (une tâche
# chacune) : deux workers la déroulent en même temps. Régler sur le nombre de
# workers (`db_worker`) lancés ; avec un seul, les parts se suivent.
RENOUVELLEMENT_PARTIES = env.int("RENOUVELLEMENT_PARTIES", default=2)

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "config.middleware.EntetesSecuriteMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # En dernier : transforme un verrouillage django-axes en page lisible.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# Base de données : SQLite embarquée par défaut, PostgreSQL par DATABASE_URL.
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR}/db.sqlite3")
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE : une transaction d'écriture prend le verrou dès le début, ce qui
    # évite les « database is locked » en cours de transaction.
    # recursive_triggers : l'effacement fait par un REPLACE passe lui aussi par
    # les gardes de suppression des documents figés (config.gardes_sql).
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA recursive_triggers = ON;",
        }
    )
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# Connexions persistantes en production (``make serve`` : 60 s) ; 0 ailleurs,
# pour que les tests ne gardent aucune connexion ouverte.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Cache : en mémoire du processus par défaut. Aucune page ne dépend d'un cache
# partagé : les sessions sont en base. ``CACHE_URL=redis://…`` branche le cache
# de Django sur Redis, avec des délais courts : un Redis arrêté ou muet
# coûte au plus une fraction de seconde (voir ``/sante``).
CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://cdg62")}
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    CACHES["default"].setdefault("OPTIONS", {}).update(
        {"socket_connect_timeout": 0.25, "socket_timeout": 0.25}
    )
SESSION_ENGINE = "django.contrib.sessions.backends.db"

AUTH_USER_MODEL = "comptes.Utilisateur"
AUTHENTICATION_BACKENDS = [
    "comptes.backends.AxesBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": (
            "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"
        )
    },
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "connexion"
LOGIN_REDIRECT_URL = "accueil"
LOGOUT_REDIRECT_URL = "connexion"

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", "Français")]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
# WhiteNoise sert les fichiers statiques (aussi sous gunicorn) ; sans
# ``collectstatic`` il les trouve directement dans les dossiers sources.
WHITENOISE_USE_FINDERS = not env.bool("STATIC_MANIFEST", default=False)
WHITENOISE_AUTOREFRESH = DEBUG
MEDIA_URL = "/media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        # ``make serve`` (production) : fichiers compressés et noms versionnés,
        # après ``collectstatic``.
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if env.bool("STATIC_MANIFEST", default=False)
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
# Documents privés (scans signés, PDF de devis émis) : jamais servis tels quels.
PRIVATE_STORAGE_ROOT = env.path("PRIVATE_STORAGE_ROOT", default=BASE_DIR / "private")

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="ne-pas-repondre@cdg62.fr")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Sécurité : valeurs de production sauf en DEBUG.
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# Les sessions expirent après 8 heures (une journée de travail).
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=8 * 3600)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_SOUS_DOMAINES", default=True)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
BEHIND_TLS_PROXY = env.bool("BEHIND_TLS_PROXY", default=False)
# Mandataires dont on croit les en-têtes X-Forwarded-* (adresses ou réseaux).
FORWARDED_ALLOW_IPS = env.list("FORWARDED_ALLOW_IPS", default=["127.0.0.1"])
if BEHIND_TLS_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Politique de sécurité du contenu : aucun script ni style en ligne, aucune
# origine extérieure (Bootstrap, htmx et polices sont servis localement).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [SELF],
        "object-src": [NONE],
    },
}

# Protection contre la force brute (django-axes) : verrouillage du couple
# identifiant + adresse IP après 5 échecs, levé après 15 minutes.
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# Le formulaire de connexion nomme le champ « username » (il contient l'e-mail).
AXES_USERNAME_FORM_FIELD = "username"
AXES_LOCKOUT_TEMPLATE = "registration/verrouillage.html"
AXES_VERBOSE = False
# Adresse du client : ``X-Forwarded-For`` n'est cru que venant d'un mandataire
# de confiance (``FORWARDED_ALLOW_IPS``, la variable de gunicorn), voir
# config/adresse_client.py ; un attaquant ne verrouille ainsi que lui-même.
AXES_CLIENT_IP_CALLABLE = "config.adresse_client.adresse_client"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="WARNING")},
}
