"""Ce que souscrit une collectivité après un « bon pour accord » (domaine §12).

- :class:`Abonnement` : une ligne annuelle acceptée (messagerie, nom de domaine,
  forfait…), active jusqu'à sa résiliation datée et motivée ;
- :class:`ElementLivre` : une ligne unique acceptée (mise en service, clé…) ;
- :class:`Renouvellement` : une campagne de renouvellement annuel (tâche de fond,
  progression, rapport) et :class:`DemandeRenouvellee` : la demande de devis
  qu'elle a préparée pour une collectivité et une année (une seule : une
  deuxième campagne pour la même année ne recrée rien).
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from conventions.models import Collectivite, Convention, Organisme
from devis.models import DemandeDevis, Devis, LigneDevis


class Abonnement(models.Model):
    class Statut(models.TextChoices):
        ACTIF = "actif", "Actif"
        RESILIE = "resilie", "Résilié"

    collectivite = models.ForeignKey(
        Collectivite, on_delete=models.PROTECT, related_name="abonnements"
    )
    emetteur = models.ForeignKey(
        Organisme, on_delete=models.PROTECT, related_name="+", verbose_name="émetteur"
    )
    code = models.CharField("prestation", max_length=60)
    libelle = models.CharField("libellé", max_length=200)
    quantite = models.PositiveIntegerField("quantité")
    montant_annuel = models.DecimalField(
        "montant annuel TTC", max_digits=12, decimal_places=2, null=True, blank=True
    )
    debut = models.DateField("début du service")
    devis = models.ForeignKey(
        Devis, on_delete=models.PROTECT, related_name="+", verbose_name="devis source"
    )
    ligne = models.OneToOneField(
        LigneDevis, on_delete=models.PROTECT, related_name="abonnement"
    )
    grille = models.ForeignKey(
        "tarifs.GrilleTarifaire", on_delete=models.PROTECT, related_name="+"
    )
    statut = models.CharField(
        max_length=10, choices=Statut.choices, default=Statut.ACTIF
    )
    fin = models.DateField("fin", null=True, blank=True)
    motif_fin = models.TextField("motif de la fin", blank=True)
    cree_le = models.DateTimeField("enregistré le", auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = "abonnement"
        verbose_name_plural = "abonnements"
        ordering = ["collectivite", "emetteur", "code", "debut", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(statut="actif") | (Q(fin__isnull=False) & ~Q(motif_fin="")),
                name="abonnement_fin_datee_et_motivee",
            ),
        ]
        indexes = [
            models.Index(fields=["collectivite", "statut"], name="abonnement_actifs"),
        ]

    def __str__(self) -> str:
        return f"{self.libelle} × {self.quantite} — {self.collectivite}"


class ElementLivre(models.Model):
    """Une prestation unique acceptée : mise en service, clé, intervention."""

    collectivite = models.ForeignKey(
        Collectivite, on_delete=models.PROTECT, related_name="elements_livres"
    )
    emetteur = models.ForeignKey(
        Organisme, on_delete=models.PROTECT, related_name="+", verbose_name="émetteur"
    )
    code = models.CharField("prestation", max_length=60)
    libelle = models.CharField("libellé", max_length=200)
    quantite = models.PositiveIntegerField("quantité")
    montant = models.DecimalField(
        "montant TTC", max_digits=12, decimal_places=2, null=True, blank=True
    )
    devis = models.ForeignKey(Devis, on_delete=models.PROTECT, related_name="+")
    ligne = models.OneToOneField(
        LigneDevis, on_delete=models.PROTECT, related_name="element_livre"
    )
    accepte_le = models.DateField("accepté le")

    class Meta:
        verbose_name = "prestation livrée"
        verbose_name_plural = "prestations livrées"
        ordering = ["collectivite", "-accepte_le", "id"]

    def __str__(self) -> str:
        return f"{self.libelle} × {self.quantite} — {self.collectivite}"


class Renouvellement(models.Model):
    """Une campagne de renouvellement annuel, exécutée en tâche de fond."""

    class Statut(models.TextChoices):
        EN_ATTENTE = "en_attente", "En attente du traitement"
        EN_COURS = "en_cours", "En cours"
        TERMINE = "termine", "Terminé"
        ECHOUE = "echoue", "Interrompu par une erreur"

    annee = models.PositiveSmallIntegerField("année")
    date_renouvellement = models.DateField(
        "date du renouvellement",
        help_text="Les devis sont chiffrés sur la grille en vigueur à cette date.",
    )
    emettre = models.BooleanField("émettre les devis", default=False)
    statut = models.CharField(
        max_length=12, choices=Statut.choices, default=Statut.EN_ATTENTE
    )
    total = models.PositiveIntegerField("collectivités à traiter", default=0)
    faites = models.PositiveIntegerField("collectivités traitées", default=0)
    erreurs = models.PositiveIntegerField(default=0)
    rapport = models.JSONField(default=list, blank=True)
    tache = models.CharField("identifiant de la tâche", max_length=64, blank=True)
    lance_par = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    lance_le = models.DateTimeField("lancé le", auto_now_add=True)
    modifie_le = models.DateTimeField("dernière avancée", auto_now=True)
    termine_le = models.DateTimeField("terminé le", null=True, blank=True)

    # Sans avancée depuis ce délai, une campagne « en cours » est tenue pour
    # arrêtée (worker interrompu) : elle peut être reprise.
    DELAI_REPRISE = datetime.timedelta(minutes=2)

    class Meta:
        verbose_name = "renouvellement annuel"
        verbose_name_plural = "renouvellements annuels"
        ordering = ["-lance_le", "-id"]

    def __str__(self) -> str:
        return f"Renouvellement {self.annee} (n°{self.pk})"

    @property
    def pourcentage(self) -> int:
        if not self.total:
            return 100 if self.statut == self.Statut.TERMINE else 0
        return round(100 * self.faites / self.total)

    @property
    def en_cours(self) -> bool:
        return self.statut in (self.Statut.EN_ATTENTE, self.Statut.EN_COURS)

    @property
    def reprenable(self) -> bool:
        if self.statut == self.Statut.ECHOUE:
            return True
        return self.en_cours and timezone.now() - self.modifie_le > self.DELAI_REPRISE

    def compte(self, resultat: str) -> int:
        return sum(1 for ligne in self.rapport if ligne.get("resultat") == resultat)


class DemandeRenouvellee(models.Model):
    """La demande de renouvellement d'une collectivité pour une année : c'est
    elle qui rend une campagne idempotente et reprenable."""

    annee = models.PositiveSmallIntegerField("année")
    collectivite = models.ForeignKey(
        Collectivite, on_delete=models.PROTECT, related_name="+"
    )
    demande = models.OneToOneField(
        DemandeDevis, on_delete=models.PROTECT, related_name="renouvellement"
    )
    renouvellement = models.ForeignKey(
        Renouvellement, on_delete=models.PROTECT, related_name="demandes"
    )
    creee_le = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "demande renouvelée"
        verbose_name_plural = "demandes renouvelées"
        constraints = [
            models.UniqueConstraint(
                fields=["annee", "collectivite"],
                name="un_renouvellement_par_collectivite_et_annee",
            )
        ]

    def __str__(self) -> str:
        return f"Renouvellement {self.annee} de {self.collectivite}"


class ParametresRelances(models.Model):
    """Les délais des relances (domaine §12, [param]) : une seule ligne,
    modifiable dans l'administration."""

    devis_jours_avant_fin = models.PositiveSmallIntegerField(
        "relance d'un devis sans réponse (jours avant la fin de validité)",
        default=15,
    )
    tentatives_max = models.PositiveSmallIntegerField(
        "envois tentés au plus pour une relance", default=5
    )
    cles_jours_avant_expiration = models.PositiveSmallIntegerField(
        "clés de signature signalées et relancées (jours avant l'expiration)",
        default=60,
    )
    conventions_jours_avant_fin = models.PositiveSmallIntegerField(
        "conventions signalées aux agents (jours avant la date de fin)", default=60
    )

    class Meta:
        verbose_name = "délais des relances"
        verbose_name_plural = "délais des relances"

    def __str__(self) -> str:
        return "Délais des relances"

    @classmethod
    def actuels(cls) -> ParametresRelances:
        """La ligne de l'administration, ou les valeurs par défaut tant qu'elle
        n'existe pas (une page lue n'écrit rien)."""
        return cls.objects.filter(pk=1).first() or cls(pk=1)


class Relance(models.Model):
    """Une relance envoyée une fois (ou à renvoyer tant que l'envoi échoue),
    sur un devis, une convention ou une clé de signature selon son motif."""

    class Motif(models.TextChoices):
        DEVIS_FIN_VALIDITE = "devis_fin", "Devis sans réponse avant la fin de validité"
        CONVENTION_FIN = "convention_fin", "Convention arrivant à sa date de fin"
        CLE_EXPIRATION = "cle_expire", "Clé de signature arrivant à expiration"

    class Statut(models.TextChoices):
        A_ENVOYER = "a_envoyer", "À envoyer"
        ENVOYEE = "envoyee", "Envoyée"
        ECHEC = "echec", "Envoi en échec"

    devis = models.ForeignKey(
        Devis, on_delete=models.PROTECT, related_name="relances", null=True, blank=True
    )
    convention = models.ForeignKey(
        Convention,
        on_delete=models.PROTECT,
        related_name="relances",
        null=True,
        blank=True,
    )
    cle = models.ForeignKey(
        "CleSignature",
        on_delete=models.PROTECT,
        related_name="relances",
        null=True,
        blank=True,
        verbose_name="clé de signature",
    )
    motif = models.CharField(max_length=15, choices=Motif.choices)
    statut = models.CharField(
        max_length=10, choices=Statut.choices, default=Statut.A_ENVOYER
    )
    destinataires = models.TextField(blank=True)
    tentatives = models.PositiveSmallIntegerField(default=0)
    erreur = models.TextField(blank=True)
    creee_le = models.DateTimeField(auto_now_add=True)
    envoyee_le = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "relance"
        verbose_name_plural = "relances"
        ordering = ["-creee_le", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["devis", "motif"], name="une_relance_par_devis_et_motif"
            ),
            models.UniqueConstraint(
                fields=["convention", "motif"],
                name="une_relance_par_convention_et_motif",
            ),
            models.UniqueConstraint(
                fields=["cle", "motif"], name="une_relance_par_cle_et_motif"
            ),
            models.CheckConstraint(
                condition=(
                    Q(
                        motif="devis_fin",
                        devis__isnull=False,
                        convention__isnull=True,
                        cle__isnull=True,
                    )
                    | Q(
                        motif="convention_fin",
                        devis__isnull=True,
                        convention__isnull=False,
                        cle__isnull=True,
                    )
                    | Q(
                        motif="cle_expire",
                        devis__isnull=True,
                        convention__isnull=True,
                        cle__isnull=False,
                    )
                ),
                name="relance_un_objet_selon_son_motif",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_motif_display()} — {self.objet}"

    @property
    def objet(self):
        return self.devis or self.convention or self.cle


class CleSignature(models.Model):
    """Une clé de signature (certificat) acceptée : son titulaire, sa remise et
    son expiration (domaine §8 et §12). Créée « à remettre » à l'acceptation ;
    l'agent enregistre titulaire et remise, d'où l'expiration."""

    class Mode(models.TextChoices):
        CDG = "cdg", "Remise au CDG"
        TRANSPORTEUR = "transporteur", "Remise sur site par le transporteur"

    class Statut(models.TextChoices):
        A_REMETTRE = "a_remettre", "À remettre"
        ACTIVE = "active", "Active"
        TITULAIRE_PARTI = "parti", "Titulaire parti (nouvelle clé nécessaire)"

    collectivite = models.ForeignKey(
        Collectivite, on_delete=models.PROTECT, related_name="cles"
    )
    devis = models.ForeignKey(Devis, on_delete=models.PROTECT, related_name="+")
    ligne = models.ForeignKey(LigneDevis, on_delete=models.PROTECT, related_name="+")
    rang = models.PositiveSmallIntegerField(default=1)
    code = models.CharField("prestation", max_length=60)
    mode_remise = models.CharField(
        "mode de remise", max_length=12, choices=Mode.choices
    )
    validite_annees = models.PositiveSmallIntegerField("validité (années)")
    titulaire_nom = models.CharField("titulaire", max_length=200, blank=True)
    titulaire_fonction = models.CharField("fonction", max_length=200, blank=True)
    remise_le = models.DateField("remise le", null=True, blank=True)
    expire_le = models.DateField("expire le", null=True, blank=True)
    statut = models.CharField(
        max_length=10, choices=Statut.choices, default=Statut.A_REMETTRE
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = "clé de signature"
        verbose_name_plural = "clés de signature"
        ordering = ["collectivite", "expire_le", "id"]
        constraints = [
            models.UniqueConstraint(fields=["ligne", "rang"], name="une_cle_par_rang"),
            models.CheckConstraint(
                condition=Q(statut="a_remettre")
                | (
                    Q(remise_le__isnull=False)
                    & Q(expire_le__isnull=False)
                    & ~Q(titulaire_nom="")
                ),
                name="cle_remise_avec_titulaire",
            ),
        ]

    def __str__(self) -> str:
        qui = self.titulaire_nom or "titulaire à indiquer"
        return f"Clé {self.validite_annees} an(s) — {qui} ({self.collectivite})"
