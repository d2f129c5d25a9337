"""Vérifie une archive exportée depuis le back office ::

    python manage.py verifier_archive archives-cdg62-20240101-20241231.zip

Recalcule le SHA-256 de chaque fichier décrit par le manifeste (``manifeste.xml``,
recoupé par ``manifeste.csv``) et dit lesquels diffèrent, manquent ou sont en
trop. Code de sortie : 0 si l'archive est intacte, 1 si quelque chose diffère,
2 si elle ne peut pas être vérifiée (pas un ZIP, manifeste absent ou illisible).
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError
from django.utils import timezone

from archives.models import ExportArchive
from archives.verification import ArchiveIllisible, archive_verifier
from conventions.fichiers import empreinte_sha256


class Command(BaseCommand):
    help = (
        "Vérifie une archive exportée : recalcule le SHA-256 de chaque fichier "
        "et le compare au manifeste."
    )

    def add_arguments(self, parser):
        parser.add_argument("fichier", help="l'archive ZIP à vérifier")

    def handle(self, *args, fichier, **options):
        try:
            with open(fichier, "rb") as ouvert:
                empreinte = empreinte_sha256(ouvert)
                resultat = archive_verifier(ouvert)
        except FileNotFoundError:
            raise CommandError(
                f"Fichier introuvable : {fichier}", returncode=2
            ) from None
        except (IsADirectoryError, PermissionError) as erreur:
            raise CommandError(
                f"Lecture impossible de {fichier} : {erreur.strerror}", returncode=2
            ) from erreur
        except ArchiveIllisible as erreur:
            raise CommandError(
                f"Archive impossible à vérifier : {erreur}", returncode=2
            ) from erreur

        self.stdout.write(f"Archive : {fichier}")
        self.stdout.write(f"SHA-256 de l'archive : {empreinte}")
        self._export_connu(empreinte)
        for nom in resultat.conformes:
            self.stdout.write(f"  conforme    {nom}")
        for nom, motif in resultat.differents:
            self.stdout.write(f"  DIFFÉRENT   {nom} : {motif}")
        for nom in resultat.manquants:
            self.stdout.write(f"  MANQUANT    {nom} (décrit par le manifeste)")
        for nom in resultat.en_trop:
            self.stdout.write(f"  EN TROP     {nom} (absent du manifeste)")
        for nom in resultat.desaccords:
            self.stdout.write(
                f"  DÉSACCORD   {nom} : manifeste.csv et manifeste.xml ne donnent "
                "pas la même empreinte"
            )
        if resultat.intacte:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Archive intacte : {len(resultat.conformes)} fichier(s) "
                    "vérifié(s), toutes les empreintes correspondent au manifeste."
                )
            )
            return
        raise CommandError(
            "Archive non conforme : "
            f"{len(resultat.differents)} fichier(s) différent(s), "
            f"{len(resultat.manquants)} manquant(s), "
            f"{len(resultat.en_trop)} en trop, "
            f"{len(resultat.desaccords)} désaccord(s) entre les manifestes.",
            returncode=1,
        )

    def _export_connu(self, empreinte: str) -> None:
        """Dit si l'archive est, octet pour octet, un export enregistré."""
        try:
            export = ExportArchive.objects.filter(sha256=empreinte).first()
        except DatabaseError:  # vérification hors de l'application : sans base
            return
        if export is not None:
            le = timezone.localtime(export.termine_le or export.lance_le)
            self.stdout.write(
                f"C'est l'export n°{export.pk} du {export.du:%d/%m/%Y} au "
                f"{export.au:%d/%m/%Y}, enregistré le {le:%d/%m/%Y}."
            )
        else:
            self.stdout.write(
                "Cette archive n'est pas un export enregistré dans l'application "
                "(copie modifiée ou autre base) : seul le manifeste fait foi."
            )
