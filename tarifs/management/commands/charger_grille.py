from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from tarifs.chargement import grille_charger_fichier


class Command(BaseCommand):
    help = "Charge une grille tarifaire depuis un fichier TOML (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument(
            "fichier",
            nargs="?",
            default=str(Path(settings.BASE_DIR) / "tarifs/data/grille-2024-14.toml"),
            help="Fichier de la grille (défaut : tarifs/data/grille-2024-14.toml).",
        )

    def handle(self, *args, fichier, **options):
        try:
            resultat = grille_charger_fichier(fichier)
        except FileNotFoundError as exc:
            raise CommandError(f"Fichier introuvable : {fichier}") from exc
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        self.stdout.write(self.style.SUCCESS(f"{resultat.grille} : {resultat.action}."))
