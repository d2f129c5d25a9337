"""Contrôles de déploiement propres au projet (``manage.py check --deploy``)."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Tags, Warning, register

from config.cache import est_partage


@register(Tags.caches, deploy=True)
def cache_partage(app_configs, **kwargs):
    """En production, plusieurs processus servent l'application : le cache (et
    les sessions qui s'y appuient) doit être commun à tous, sinon une écriture
    dans l'un ne périme pas l'accueil du portail mis en cache par un autre."""
    if not est_partage(settings.CACHES["default"]):
        return [
            Warning(
                "Le cache n'est pas partagé entre les processus de l'application.",
                hint="Définissez CACHE_URL=redis://hôte:6379/1 (voir le README, "
                "Déploiement).",
                id="cdg62.W001",
            )
        ]
    return []
