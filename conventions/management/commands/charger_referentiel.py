"""Charge le référentiel officiel des communes et EPCI du 62 (idempotent)."""

from django.core.management.base import BaseCommand, CommandError

from conventions.referentiel_chargement import (
    FICHIER_REFERENTIEL,
    referentiel_charger_fichier,
)


class Command(BaseCommand):
    help = (
        "Charge les communes et EPCI du Pas-de-Calais depuis le fichier du "
        "référentiel (par défaut conventions/data/referentiel-62.json). Relancer "
        "ne change rien ; un nouveau millésime met à jour les populations."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "fichier",
            nargs="?",
            default=str(FICHIER_REFERENTIEL),
            help="Fichier JSON produit par construire_referentiel.",
        )

    def handle(self, *args, fichier, **options):
        try:
            rapport = referentiel_charger_fichier(fichier)
        except FileNotFoundError as erreur:
            raise CommandError(f"Fichier introuvable : {fichier}") from erreur
        except (KeyError, ValueError) as erreur:
            raise CommandError(
                f"Le fichier {fichier} n'a pas la forme d'un référentiel "
                f"(construire_referentiel) : {erreur}"
            ) from erreur
        self.stdout.write(self.style.SUCCESS(rapport.resume()))
