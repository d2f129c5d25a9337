"""``python manage.py relancer`` : les relances du jour (à lancer chaque jour
par cron ; voir le README). Sans risque à relancer : une relance part une fois."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from abonnements.relances import relances_du_jour


class Command(BaseCommand):
    help = "Enregistre et met en file les relances dues aujourd'hui."

    def handle(self, *args, **options):
        nombre = relances_du_jour()
        self.stdout.write(f"{nombre} relance(s) mise(s) en file d'envoi.")
