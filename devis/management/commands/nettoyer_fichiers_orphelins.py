"""Efface les documents du stockage privé qu'aucune ligne ne désigne : PDF de
devis et scans écrits par une transaction annulée (voir
``conventions.fichiers.document_enregistrer``). Lancé par ``make serve``."""

from __future__ import annotations

from datetime import timedelta

from django.core.management.base import BaseCommand

from conventions.fichiers import fichiers_orphelins_nettoyer
from conventions.models import Convention, stockage_prive
from devis.models import Devis


class Command(BaseCommand):
    help = (
        "Efface les PDF de devis et scans qu'aucune ligne ne désigne, plus vieux "
        "que --minutes (60 par défaut)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--minutes", type=int, default=60)

    def handle(self, *args, minutes: int, **options):
        references = set(Devis.objects.exclude(pdf="").values_list("pdf", flat=True))
        for champ in ("scan", "pdf_envoye", "pdf_signe"):
            references |= set(
                Convention.objects.exclude(**{champ: ""}).values_list(champ, flat=True)
            )
        effaces = fichiers_orphelins_nettoyer(
            stockage=stockage_prive,
            dossiers=["devis", "conventions"],
            references=references,
            age=timedelta(minutes=minutes),
        )
        for nom in effaces:
            self.stdout.write(f"Effacé : {nom}")
        self.stdout.write(f"{len(effaces)} fichier(s) orphelin(s) effacé(s).")
