"""Vérifie que le cache répond avant de servir (``make serve``).

Sous gunicorn, le cache porte les sessions et l'accueil du portail : s'il ne
répond pas, chaque page échouerait. Mieux vaut le dire avant de démarrer.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.cache import cache
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Écrit puis relit une valeur dans le cache ; échoue, en clair, sinon."

    def handle(self, *args, **options):
        cle, valeur = f"verifier_cache:{uuid.uuid4().hex}", uuid.uuid4().hex
        emplacement = settings.CACHES["default"].get("LOCATION", "")
        try:
            cache.set(cle, valeur, 10)
            relu = cache.get(cle)
            cache.delete(cle)
        except Exception as erreur:  # le client Redis lève ses propres erreurs
            raise CommandError(
                f"Le cache ({emplacement}) ne répond pas "
                f"({str(erreur).rstrip('.')}). Démarrez Redis ou corrigez "
                "CACHE_URL (voir le README, Déploiement)."
            ) from erreur
        if relu != valeur:
            raise CommandError(f"Le cache ({emplacement}) ne garde pas les valeurs.")
        if not settings.CACHE_PARTAGE:
            self.stdout.write(
                "Attention : cache propre à chaque processus (CACHE_URL non "
                "défini) ; avec plusieurs processus, utilisez Redis."
            )
        self.stdout.write(f"Cache prêt ({emplacement}).")
