"""Factures Factur-X des devis acceptés (domaine §13).

Une facture naît émise : elle n'a pas de brouillon. Tout ce qu'elle imprime
(identités de l'émetteur et de la collectivité, référence du devis, lignes,
montants TTC, mention TVA) est copié sur elle à l'émission, avec le XML CII
embarqué dans son PDF ; le PDF (PDF/A-3, Factur-X EN 16931) est rendu une
seule fois, stocké avec son SHA-256 et servi tel quel. Une facture ne se
modifie ni ne se supprime jamais : garde du modèle, et déclencheurs de base de
données (migration ``0002``) pour tout ce qui passerait sous le modèle.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from conventions.models import Collectivite, Organisme, stockage_prive
from devis.models import Devis


class FactureVerrouillee(Exception):
    """Tentative de modifier ou supprimer une facture émise."""

    def __init__(
        self,
        message: str = "Une facture émise ne se modifie ni ne se supprime.",
    ):
        super().__init__(message)


def _chemin_pdf(instance, nom: str) -> str:
    # Le dossier seulement compte : ``document_enregistrer`` donne au fichier
    # un nom aléatoire, sans numéro.
    return f"factures/{instance.annee}/{nom}"


class Facture(models.Model):
    """La facture d'un devis accepté : une par devis, numérotée par émetteur et
    par année sans trou (``facturation.numerotation``)."""

    devis = models.OneToOneField(
        Devis, on_delete=models.PROTECT, related_name="facture"
    )
    emetteur = models.ForeignKey(
        Organisme, on_delete=models.PROTECT, verbose_name="émetteur", related_name="+"
    )
    collectivite = models.ForeignKey(
        Collectivite, on_delete=models.PROTECT, related_name="factures"
    )

    numero = models.CharField("numéro", max_length=40)
    annee = models.PositiveSmallIntegerField("année")
    sequence = models.PositiveIntegerField("numéro d'ordre")
    date_emission = models.DateField("date d'émission")
    date_echeance = models.DateField("date d'échéance")

    # Valeurs imprimées, copiées à l'émission.
    emetteur_fige = models.JSONField("émetteur (figé)")
    destinataire_fige = models.JSONField("destinataire (figé)")
    devis_fige = models.JSONField("devis facturé (figé)")
    # [{"ordre", "code", "libelle", "unite", "quantite", "prix_unitaire",
    #   "montant", "periodicite", "mode", "notes", "debut", "fin"}, …] ;
    # montants en chaînes décimales (« 60.00 »), jamais en flottants.
    lignes = models.JSONField("lignes (figées)")
    total_unique = models.DecimalField(
        "total unique TTC", max_digits=12, decimal_places=2
    )
    total_annuel = models.DecimalField(
        "total annuel TTC (première année)", max_digits=12, decimal_places=2
    )
    total_ttc = models.DecimalField("total TTC", max_digits=12, decimal_places=2)
    mention_tva = models.TextField("mention TVA")
    conditions_paiement = models.TextField("conditions de paiement")

    xml = models.TextField("XML Factur-X (CII, EN 16931)")
    pdf = models.FileField(
        "PDF Factur-X", storage=stockage_prive, upload_to=_chemin_pdf
    )
    pdf_sha256 = models.CharField("SHA-256 du PDF", max_length=64)

    emise_par = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="émise par",
    )
    emise_le = models.DateTimeField("émise le", default=timezone.now)

    class Meta:
        verbose_name = "facture"
        verbose_name_plural = "factures"
        ordering = ["-emise_le", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["numero"], name="facture_numero_unique"),
            models.UniqueConstraint(
                fields=["emetteur", "annee", "sequence"],
                name="facture_sequence_unique_par_emetteur_et_annee",
            ),
            models.CheckConstraint(
                condition=Q(total_ttc__gte=0), name="facture_total_positif"
            ),
            models.CheckConstraint(
                condition=~Q(pdf="") & ~Q(pdf_sha256=""),
                name="facture_pdf_et_empreinte",
            ),
        ]

    def __str__(self) -> str:
        return self.numero

    def save(self, *args, **kwargs):
        if self.pk is not None and Facture.objects.filter(pk=self.pk).exists():
            raise FactureVerrouillee()
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise FactureVerrouillee()

    @property
    def nom_fichier(self) -> str:
        return f"{self.numero}.pdf"


class CompteurFacture(models.Model):
    """Dernier numéro de facture attribué par émetteur et par année.

    La ligne est verrouillée (``select_for_update``) dans la transaction
    d'émission de la facture : un échec annule l'incrément avec le reste.
    """

    emetteur = models.ForeignKey(Organisme, on_delete=models.PROTECT, related_name="+")
    annee = models.PositiveSmallIntegerField("année")
    dernier = models.PositiveIntegerField("dernier numéro attribué", default=0)

    class Meta:
        verbose_name = "compteur de factures"
        verbose_name_plural = "compteurs de factures"
        constraints = [
            models.UniqueConstraint(
                fields=["emetteur", "annee"],
                name="compteur_facture_unique_par_emetteur_annee",
            )
        ]

    def __str__(self) -> str:
        return f"{self.emetteur.prefixe_numero}-FA-{self.annee} : {self.dernier}"
