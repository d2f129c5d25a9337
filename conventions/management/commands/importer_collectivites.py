"""Commande d'import CSV des collectivités (règles : conventions/import_csv.py)."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from conventions.import_csv import FichierIllisible, collectivites_importer_csv


class Simulation(Exception):
    """Annule l'import après le rapport (option --simulation)."""


class Command(BaseCommand):
    help = (
        "Importe ou met à jour des collectivités depuis un CSV (colonnes « code "
        "commune », « libellé », « population totale », « SIREN »). Idempotent : "
        "rapprochement par code INSEE, sinon par SIREN."
    )

    def add_arguments(self, parser):
        parser.add_argument("fichier", type=Path, help="Fichier CSV (; ou ,).")
        parser.add_argument(
            "--annee-population",
            type=int,
            default=None,
            help="Année de la population totale, si le fichier n'a pas de colonne "
            "« année » (ex. 2021).",
        )
        parser.add_argument(
            "--simulation",
            action="store_true",
            help="Affiche le rapport sans rien enregistrer.",
        )

    def handle(self, *args, fichier: Path, annee_population, simulation, **options):
        try:
            contenu = fichier.read_bytes()
        except OSError as erreur:
            raise CommandError(f"Lecture impossible de {fichier} : {erreur}") from None
        try:
            with transaction.atomic():
                rapport = collectivites_importer_csv(
                    contenu=contenu, annee_population=annee_population
                )
                if simulation:
                    raise Simulation
        except FichierIllisible as erreur:
            raise CommandError(f"{fichier} : {erreur}") from None
        except Simulation:
            self.stdout.write("Simulation : aucune modification enregistrée.")

        if rapport.colonnes_ignorees:
            self.stdout.write(
                "Colonnes ignorées : " + ", ".join(rapport.colonnes_ignorees)
            )
        for numero, raison in rapport.rejets:
            self.stderr.write(f"Ligne {numero} rejetée : {raison}")
        for numero, texte in rapport.avertissements:
            self.stdout.write(self.style.WARNING(f"  ligne {numero} : {texte}"))
        style = (
            self.style.WARNING
            if rapport.rejets or rapport.avertissements
            else self.style.SUCCESS
        )
        self.stdout.write(style(f"Import de {fichier.name} : {rapport.resume()}"))
