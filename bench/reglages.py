"""Réglages des bancs d'essai : ceux du projet, plus la commande
``generer_volumetrie`` (application ``bench``) et la vue « hello world » de
comparaison (``bench/urls_bench.py``). Jamais chargés par l'application."""

from config.settings import *  # noqa: F403

INSTALLED_APPS = [*INSTALLED_APPS, "bench"]  # noqa: F405
ROOT_URLCONF = "bench.urls_bench"
