"""Grilles tarifaires versionnées, adoptées par délibération.

Tout ce qui fixe un prix est ici une donnée : montants, barèmes, plafonds,
seuils de catégories, lignes d'accompagnement dérivées. Une grille publiée et
ses lignes ne se modifient plus ; une nouvelle version se fait par duplication.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from tarifs.enums import Emetteur, Periodicite


class GrilleVerrouillee(Exception):
    """Tentative de modifier une grille publiée ou l'une de ses lignes."""

    def __init__(self, message: str = "Une grille publiée ne peut plus être modifiée."):
        super().__init__(message)


class VersionPubliee(models.Model):
    """Une version qui, publiée, ne change plus et ne s'efface pas (grille,
    termes de la convention) : garde du modèle, doublée en base
    (``config.gardes_sql.garde_version_publiee``). L'état enregistré fait foi,
    pas l'objet en mémoire. Chaque sous-classe nomme son exception
    (``verrou``) et son message de suppression."""

    verrou: type[Exception]
    message_suppression: str

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self._publiee_en_base():
            raise self.verrou()
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self._publiee_en_base():
            raise self.verrou(self.message_suppression)
        return super().delete(*args, **kwargs)

    @property
    def est_publiee(self) -> bool:
        return self.statut == "publiee"

    def _publiee_en_base(self) -> bool:
        if self.pk is None:
            return False
        return type(self)._default_manager.filter(pk=self.pk, statut="publiee").exists()


class GrilleTarifaire(VersionPubliee):
    verrou = GrilleVerrouillee
    message_suppression = "Une grille publiée ne peut pas être supprimée."

    class Statut(models.TextChoices):
        BROUILLON = "brouillon", "Brouillon"
        PUBLIEE = "publiee", "Publiée"

    reference = models.CharField("référence de la délibération", max_length=20)
    date_deliberation = models.DateField("date de la délibération")
    instance = models.CharField(
        "instance délibérante",
        max_length=200,
        default="Conseil d'Administration du Centre de Gestion du Pas-de-Calais",
    )
    date_effet = models.DateField("date d'effet")
    statut = models.CharField(
        max_length=10, choices=Statut.choices, default=Statut.BROUILLON
    )
    publiee_le = models.DateTimeField("publiée le", null=True, blank=True)
    creee_le = models.DateTimeField("créée le", auto_now_add=True)
    empreinte_source = models.CharField(
        "empreinte du fichier source", max_length=64, blank=True, editable=False
    )

    # Qui a changé quoi, quand (les tables historiques ne sont pas gardées :
    # elles ne reçoivent que des insertions). « instance » n'y est pas copiée :
    # le nom est pris par simple_history (l'objet d'un enregistrement).
    history = HistoricalRecords(excluded_fields=["instance"])

    class Meta:
        verbose_name = "grille tarifaire"
        verbose_name_plural = "grilles tarifaires"
        ordering = ["-date_effet", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["date_effet"],
                condition=Q(statut="publiee"),
                name="grille_publiee_date_effet_unique",
                violation_error_message=(
                    "Une grille publiée a déjà cette date d'effet."
                ),
            ),
        ]

    def __str__(self) -> str:
        return (
            f"Grille {self.reference} du {self.date_deliberation:%d/%m/%Y} "
            f"(effet {self.date_effet:%d/%m/%Y}, {self.get_statut_display().lower()})"
        )


class LigneDeGrille(models.Model):
    """Base des lignes d'une grille : refuse toute écriture si elle est publiée.

    Chaque ligne (catégories, barèmes, paliers, prestations, tarifs, montants par
    catégorie, lignes dérivées) a son historique : ``inherit=True`` le donne à
    chaque sous-classe, qui a sa propre table historique.
    """

    history = HistoricalRecords(inherit=True)

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        self._verifier_modifiable()
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        self._verifier_modifiable()
        return super().delete(*args, **kwargs)

    def grille_parente(self) -> GrilleTarifaire:
        raise NotImplementedError

    def _verifier_modifiable(self) -> None:
        grille = self.grille_parente()
        if grille._publiee_en_base():
            raise GrilleVerrouillee()


class Categorie(LigneDeGrille):
    """Seuils d'une catégorie (tableau 2) : par population ou par nombre d'agents.

    Bornes incluses ; une borne haute vide signifie « sans limite ».
    """

    grille = models.ForeignKey(
        GrilleTarifaire, on_delete=models.CASCADE, related_name="categories"
    )
    code = models.CharField("catégorie", max_length=2)
    population_min = models.PositiveIntegerField("population minimale")
    population_max = models.PositiveIntegerField(
        "population maximale", null=True, blank=True
    )
    agents_min = models.PositiveIntegerField("agents minimum")
    agents_max = models.PositiveIntegerField("agents maximum", null=True, blank=True)

    class Meta:
        verbose_name = "catégorie"
        verbose_name_plural = "catégories"
        ordering = ["grille", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["grille", "code"], name="categorie_code_unique_par_grille"
            )
        ]

    def __str__(self) -> str:
        return f"Catégorie {self.code}"

    def grille_parente(self) -> GrilleTarifaire:
        return self.grille


class Bareme(LigneDeGrille):
    """Barème par tranches de quantité (ex. accompagnement messagerie « M »).

    Au-delà du dernier palier : le montant du dernier palier plus
    ``au_dela_montant`` par tranche commencée de ``au_dela_tranche`` ; sans ces
    valeurs, la ligne passe « sur devis ».
    """

    grille = models.ForeignKey(
        GrilleTarifaire, on_delete=models.CASCADE, related_name="baremes"
    )
    code = models.CharField(max_length=20)
    libelle = models.CharField("libellé", max_length=200)
    au_dela_tranche = models.PositiveIntegerField(
        "au-delà : taille de la tranche", null=True, blank=True
    )
    au_dela_montant = models.DecimalField(
        "au-delà : montant par tranche commencée",
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
    )

    class Meta:
        verbose_name = "barème"
        verbose_name_plural = "barèmes"
        ordering = ["grille", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["grille", "code"], name="bareme_code_unique_par_grille"
            ),
            models.CheckConstraint(
                condition=(
                    Q(au_dela_tranche__isnull=True, au_dela_montant__isnull=True)
                    | Q(au_dela_tranche__gte=1, au_dela_montant__gte=0)
                ),
                name="bareme_au_dela_complet",
            ),
        ]

    def __str__(self) -> str:
        return f"Barème {self.code} — {self.libelle}"

    def grille_parente(self) -> GrilleTarifaire:
        return self.grille


class Palier(LigneDeGrille):
    bareme = models.ForeignKey(Bareme, on_delete=models.CASCADE, related_name="paliers")
    quantite_min = models.PositiveIntegerField("de")
    quantite_max = models.PositiveIntegerField("à")
    montant = models.DecimalField(max_digits=12, decimal_places=2)

    class Meta:
        verbose_name = "palier"
        verbose_name_plural = "paliers"
        ordering = ["bareme", "quantite_min"]
        constraints = [
            models.CheckConstraint(
                condition=Q(quantite_min__gte=1)
                & Q(quantite_max__gte=models.F("quantite_min")),
                name="palier_bornes_coherentes",
            ),
            models.CheckConstraint(
                condition=Q(montant__gte=0), name="palier_montant_positif"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantite_min} à {self.quantite_max} : {self.montant} €"

    def grille_parente(self) -> GrilleTarifaire:
        return self.bareme.grille


class Prestation(LigneDeGrille):
    """Une prestation que l'on peut demander, identifiée par un code stable."""

    grille = models.ForeignKey(
        GrilleTarifaire, on_delete=models.CASCADE, related_name="prestations"
    )
    code = models.SlugField(max_length=60)
    libelle = models.CharField("libellé", max_length=200)
    section = models.CharField(max_length=100)
    unite = models.CharField("unité de facturation", max_length=100)
    ordre = models.PositiveIntegerField(default=0)
    notes = models.CharField(max_length=300, blank=True)

    class Meta:
        verbose_name = "prestation"
        verbose_name_plural = "prestations"
        ordering = ["grille", "ordre", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["grille", "code"], name="prestation_code_unique_par_grille"
            )
        ]

    def __str__(self) -> str:
        return f"{self.code} — {self.libelle}"

    def grille_parente(self) -> GrilleTarifaire:
        return self.grille


class Tarif(LigneDeGrille):
    """Le prix d'une prestation chez un émetteur (La Fibre ou le CDG)."""

    class Calcul(models.TextChoices):
        UNITAIRE = "unitaire", "Prix unitaire × quantité"
        BAREME = "bareme", "Barème par tranches"
        CATEGORIE = "categorie", "Selon la catégorie de la collectivité"
        INCLUS = "inclus", "Inclus"
        SUR_DEVIS = "sur_devis", "Sur devis"

    prestation = models.ForeignKey(
        Prestation, on_delete=models.CASCADE, related_name="tarifs"
    )
    emetteur = models.CharField("émetteur", max_length=10, choices=Emetteur.choices)
    calcul = models.CharField(max_length=10, choices=Calcul.choices)
    periodicite = models.CharField(
        "périodicité", max_length=10, choices=Periodicite.choices
    )
    prix_unitaire = models.DecimalField(
        "prix unitaire TTC", max_digits=12, decimal_places=2, null=True, blank=True
    )
    plafond = models.PositiveIntegerField(
        "quantité maximale (au-delà : sur devis)", null=True, blank=True
    )
    bareme = models.ForeignKey(
        Bareme, on_delete=models.PROTECT, null=True, blank=True, related_name="tarifs"
    )
    si_intervention = models.BooleanField(
        "uniquement en cas d'intervention du CDG", default=False
    )
    mention = models.CharField(
        "mention sur devis",
        max_length=200,
        blank=True,
        help_text="Ex. « sous réserve de faisabilité » quand la ligne passe sur devis.",
    )

    class Meta:
        verbose_name = "tarif"
        verbose_name_plural = "tarifs"
        ordering = ["prestation", "emetteur"]
        constraints = [
            models.UniqueConstraint(
                fields=["prestation", "emetteur"], name="tarif_unique_par_emetteur"
            ),
            models.CheckConstraint(
                condition=~Q(calcul="unitaire") | Q(prix_unitaire__gte=0),
                name="tarif_unitaire_a_un_prix",
            ),
            models.CheckConstraint(
                condition=~Q(calcul="bareme") | Q(bareme__isnull=False),
                name="tarif_bareme_a_un_bareme",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.prestation.code} · {self.get_emetteur_display()}"

    def grille_parente(self) -> GrilleTarifaire:
        return self.prestation.grille


class TarifCategorie(LigneDeGrille):
    """Montant d'un tarif « selon la catégorie » ; vide = sur devis."""

    tarif = models.ForeignKey(
        Tarif, on_delete=models.CASCADE, related_name="montants_categorie"
    )
    categorie = models.ForeignKey(Categorie, on_delete=models.CASCADE)
    montant = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="Laisser vide pour « sur devis ».",
    )

    class Meta:
        verbose_name = "montant par catégorie"
        verbose_name_plural = "montants par catégorie"
        ordering = ["tarif", "categorie__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["tarif", "categorie"], name="tarif_categorie_unique"
            )
        ]

    def __str__(self) -> str:
        montant = "sur devis" if self.montant is None else f"{self.montant} €"
        return f"{self.categorie.code} : {montant}"

    def grille_parente(self) -> GrilleTarifaire:
        return self.tarif.prestation.grille


class LigneDerivee(LigneDeGrille):
    """Ligne calculée sur le total de plusieurs prestations demandées.

    Ex. l'accompagnement messagerie du CDG compte l'ensemble des comptes de
    messagerie (5 Go et illimités) de la demande, puis applique un barème.
    """

    grille = models.ForeignKey(
        GrilleTarifaire, on_delete=models.CASCADE, related_name="lignes_derivees"
    )
    code = models.SlugField(max_length=60)
    libelle = models.CharField("libellé", max_length=200)
    emetteur = models.CharField("émetteur", max_length=10, choices=Emetteur.choices)
    periodicite = models.CharField(
        "périodicité", max_length=10, choices=Periodicite.choices
    )
    unite = models.CharField("unité de facturation", max_length=100)
    bareme = models.ForeignKey(Bareme, on_delete=models.PROTECT)
    prestations_comptees = models.ManyToManyField(
        Prestation, verbose_name="prestations comptées", related_name="+"
    )
    ordre = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = "ligne dérivée"
        verbose_name_plural = "lignes dérivées"
        ordering = ["grille", "ordre", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["grille", "code"], name="ligne_derivee_code_unique_par_grille"
            )
        ]

    def __str__(self) -> str:
        return f"{self.code} — {self.libelle}"

    def grille_parente(self) -> GrilleTarifaire:
        return self.grille
