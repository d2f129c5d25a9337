"""L'export d'archives : pour une période, un ZIP des documents figés (devis
émis, conventions signées et leurs scans) avec son manifeste vérifiable."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from conventions.models import stockage_prive


def _chemin_zip(instance, nom: str) -> str:
    return f"archives/{instance.pk}/{nom}"


class ExportArchive(models.Model):
    """Un export d'archives, construit en tâche de fond (``archives.tasks``)."""

    class Statut(models.TextChoices):
        EN_ATTENTE = "en_attente", "En attente du traitement"
        EN_COURS = "en_cours", "En cours"
        TERMINE = "termine", "Terminé"
        ECHOUE = "echoue", "Interrompu par une erreur"

    du = models.DateField("du")
    au = models.DateField("au")
    statut = models.CharField(
        max_length=12, choices=Statut.choices, default=Statut.EN_ATTENTE
    )
    total = models.PositiveIntegerField("documents à archiver", default=0)
    faites = models.PositiveIntegerField("documents traités", default=0)
    fichier = models.FileField(
        "archive (ZIP)", storage=stockage_prive, upload_to=_chemin_zip, blank=True
    )
    sha256 = models.CharField("SHA-256 de l'archive", max_length=64, blank=True)
    taille = models.PositiveBigIntegerField("taille (octets)", default=0)
    # {"archives": {type: nombre}, "ecartes": [{identifiant, fichier, titre,
    # motif}], "erreur": texte} : ce que l'agent lit sur la page de l'export.
    rapport = models.JSONField(default=dict, blank=True)
    tache = models.CharField("identifiant de la tâche", max_length=64, blank=True)
    lance_par = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="lancé par",
    )
    lance_le = models.DateTimeField("lancé le", auto_now_add=True)
    termine_le = models.DateTimeField("terminé le", null=True, blank=True)

    class Meta:
        verbose_name = "export d'archives"
        verbose_name_plural = "exports d'archives"
        ordering = ["-lance_le", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(du__lte=F("au")),
                name="export_archive_periode_ordonnee",
                violation_error_message="La date de début doit précéder la date "
                "de fin.",
            )
        ]

    def __str__(self) -> str:
        return (
            f"Export d'archives n°{self.pk} ({self.du:%d/%m/%Y} – {self.au:%d/%m/%Y})"
        )

    @property
    def pourcentage(self) -> int:
        if not self.total:
            return 100 if self.statut == self.Statut.TERMINE else 0
        return round(100 * self.faites / self.total)

    @property
    def en_cours(self) -> bool:
        return self.statut in (self.Statut.EN_ATTENTE, self.Statut.EN_COURS)

    @property
    def telechargeable(self) -> bool:
        return self.statut == self.Statut.TERMINE and bool(self.fichier)

    @property
    def ecartes(self) -> list[dict]:
        return list((self.rapport or {}).get("ecartes", []))

    @property
    def nom_telechargement(self) -> str:
        return f"archives-cdg62-{self.du:%Y%m%d}-{self.au:%Y%m%d}.zip"
