"""Enregistre l'état « expiré » des devis émis dont la validité est passée.

À lancer chaque jour (cron, timer systemd) : sans effet si rien n'a expiré
depuis la veille, relançable sans risque.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from devis.services import devis_expirer_perimes


class Command(BaseCommand):
    help = (
        "Passe à l'état « expiré » les devis émis dont la date de validité est "
        "dépassée (idempotent, à lancer chaque jour)."
    )

    def handle(self, *args, **options):
        nombre = devis_expirer_perimes()
        self.stdout.write(f"{nombre} devis passé(s) à l'état expiré.")
