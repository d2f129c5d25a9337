"""Demandes de devis, devis et lignes.

Un devis émis est un document financier : tout ce qu'il imprime est copié sur
lui à l'émission (identités, lignes, grille), son PDF est rendu une seule fois
et conservé. Il ne se modifie ni ne se supprime plus : une annulation est un
état, pas une suppression. Des déclencheurs de base de données (migration
``0002``) doublent la garde du modèle.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from conventions.models import Collectivite, Organisme, stockage_prive
from tarifs.calcul import cle_du_code
from tarifs.enums import Emetteur


class DevisVerrouille(Exception):
    """Tentative de modifier ou supprimer un devis émis."""

    def __init__(self, message: str = "Un devis émis ne peut plus être modifié."):
        super().__init__(message)


class DemandeDevis(models.Model):
    """Une demande d'une collectivité, d'où naissent jusqu'à deux devis
    (un par émetteur)."""

    class Statut(models.TextChoices):
        DEMANDEE = "demandee", "Demandée (à chiffrer)"
        CHIFFREE = "chiffree", "Chiffrée"
        ABANDONNEE = "abandonnee", "Abandonnée"

    collectivite = models.ForeignKey(
        Collectivite, on_delete=models.PROTECT, related_name="demandes_devis"
    )
    statut = models.CharField(
        max_length=12, choices=Statut.choices, default=Statut.CHIFFREE
    )
    # Ce qui a été demandé : [{"code", "quantite", "intervention"}, …]
    lignes_demandees = models.JSONField("lignes demandées", default=list)
    commentaire = models.TextField(blank=True)
    demandee_par = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    creee_le = models.DateTimeField("créée le", auto_now_add=True)

    # Qui a changé la demande (lignes, commentaire, statut), quand.
    history = HistoricalRecords()

    class Meta:
        verbose_name = "demande de devis"
        verbose_name_plural = "demandes de devis"
        ordering = ["-creee_le"]

    def __str__(self) -> str:
        return f"Demande n°{self.pk} — {self.collectivite}"


def _chemin_pdf(instance, nom: str) -> str:
    return f"devis/{instance.annee}/{instance.numero}.pdf"


class Devis(models.Model):
    class Statut(models.TextChoices):
        BROUILLON = "brouillon", "Brouillon"
        EMIS = "emis", "Émis"
        ACCEPTE = "accepte", "Accepté"
        REFUSE = "refuse", "Refusé"
        EXPIRE = "expire", "Expiré"
        ANNULE = "annule", "Annulé"
        REMPLACE = "remplace", "Remplacé"

    # Colonnes figées à l'émission : ni le modèle ni la base ne les laissent
    # changer une fois le devis sorti du brouillon.
    CHAMPS_FIGES = (
        "demande_id",
        "emetteur_id",
        "collectivite_id",
        "grille_id",
        "numero",
        "annee",
        "sequence",
        "date_emission",
        "date_validite",
        "emetteur_fige",
        "destinataire_fige",
        "grille_fige",
        "convention_fige",
        "categorie",
        "categorie_base",
        "mention_inclus",
        "total_unique",
        "total_annuel",
        "total_premiere_annee",
        "pdf",
        "pdf_sha256",
        "remplace_id",
    )

    demande = models.ForeignKey(
        DemandeDevis, on_delete=models.PROTECT, related_name="devis"
    )
    emetteur = models.ForeignKey(
        Organisme, on_delete=models.PROTECT, verbose_name="émetteur", related_name="+"
    )
    collectivite = models.ForeignKey(
        Collectivite, on_delete=models.PROTECT, related_name="devis"
    )
    grille = models.ForeignKey(
        "tarifs.GrilleTarifaire", on_delete=models.PROTECT, related_name="+"
    )
    # Une révision : le devis émis qu'elle remplace (même émetteur, même
    # demande) ; l'émettre passe l'ancien à l'état « remplacé ».
    remplace = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="revisions",
        verbose_name="remplace le devis",
    )
    statut = models.CharField(
        max_length=10, choices=Statut.choices, default=Statut.BROUILLON
    )

    # Numérotation : attribuée à l'émission, par émetteur et par année, sans trou.
    # NULL tant que brouillon : les brouillons coexistent sous la contrainte unique.
    numero = models.CharField("numéro", max_length=40, null=True, blank=True)  # noqa: DJ001
    annee = models.PositiveSmallIntegerField("année", null=True, blank=True)
    sequence = models.PositiveIntegerField(null=True, blank=True)
    date_emission = models.DateField("date d'émission", null=True, blank=True)
    date_validite = models.DateField("valable jusqu'au", null=True, blank=True)

    # Valeurs imprimées, copiées à l'émission.
    emetteur_fige = models.JSONField("émetteur (figé)", default=dict, blank=True)
    destinataire_fige = models.JSONField(
        "destinataire (figé)", default=dict, blank=True
    )
    grille_fige = models.JSONField("grille (figée)", default=dict, blank=True)
    convention_fige = models.JSONField("convention (figée)", default=dict, blank=True)
    categorie = models.CharField("catégorie", max_length=2, blank=True)
    categorie_base = models.CharField(
        "base de la catégorie", max_length=200, blank=True
    )
    mention_inclus = models.TextField("mention d'accompagnement inclus", blank=True)
    total_unique = models.DecimalField(
        "total unique TTC", max_digits=12, decimal_places=2, default=0
    )
    total_annuel = models.DecimalField(
        "total annuel TTC", max_digits=12, decimal_places=2, default=0
    )
    total_premiere_annee = models.DecimalField(
        "total première année TTC", max_digits=12, decimal_places=2, default=0
    )
    pdf = models.FileField(
        "PDF émis", storage=stockage_prive, upload_to=_chemin_pdf, blank=True
    )
    pdf_sha256 = models.CharField("SHA-256 du PDF", max_length=64, blank=True)

    # Après l'émission.
    accepte_le = models.DateTimeField("accepté le", null=True, blank=True)
    refuse_le = models.DateTimeField("refusé le", null=True, blank=True)
    reponse_par = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="réponse enregistrée par",
    )
    reponse_canal = models.CharField(
        "canal de la réponse",
        max_length=10,
        blank=True,
        choices=[("portail", "Portail"), ("papier", "Papier (saisie par un agent)")],
    )
    reponse_ip = models.GenericIPAddressField("adresse IP", null=True, blank=True)
    signataire_nom = models.CharField("nom du signataire", max_length=200, blank=True)
    signataire_qualite = models.CharField(
        "qualité du signataire", max_length=200, blank=True
    )
    refus_motif = models.TextField("motif du refus", blank=True)
    expire_le = models.DateField("expiré le", null=True, blank=True)
    annule_le = models.DateTimeField("annulé le", null=True, blank=True)
    annule_par = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    annulation_motif = models.TextField("motif d'annulation", blank=True)

    cree_par = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    cree_le = models.DateTimeField("créé le", auto_now_add=True)
    modifie_le = models.DateTimeField("modifié le", auto_now=True)

    class Meta:
        verbose_name = "devis"
        verbose_name_plural = "devis"
        ordering = ["-cree_le", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["numero"], name="devis_numero_unique"),
            models.UniqueConstraint(
                fields=["emetteur", "annee", "sequence"],
                name="devis_sequence_unique_par_emetteur_et_annee",
            ),
            # Un devis par émetteur et par demande, ses révisions mises à part
            # (chacune remplace un seul devis).
            models.UniqueConstraint(
                fields=["demande", "emetteur"],
                condition=Q(remplace__isnull=True),
                name="devis_un_par_emetteur_et_demande",
            ),
            models.UniqueConstraint(
                fields=["remplace"],
                condition=Q(remplace__isnull=False),
                name="devis_une_revision_par_devis",
            ),
            models.CheckConstraint(
                condition=Q(statut="brouillon") | Q(numero__isnull=False),
                name="devis_emis_a_un_numero",
            ),
            models.CheckConstraint(
                condition=~Q(statut="annule") | ~Q(annulation_motif=""),
                name="devis_annulation_motivee",
            ),
            models.CheckConstraint(
                condition=~Q(statut="refuse") | ~Q(refus_motif=""),
                name="devis_refus_motive",
            ),
        ]
        indexes = [
            models.Index(
                fields=["statut", "date_validite"], name="devis_statut_validite"
            ),
            models.Index(
                fields=["collectivite", "statut"], name="devis_collectivite_statut"
            ),
            # L'ordre de la liste du back office (les plus récents d'abord).
            models.Index(fields=["-cree_le", "-id"], name="devis_recents"),
        ]

    def __str__(self) -> str:
        return self.numero or f"Brouillon n°{self.pk} ({self.emetteur})"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            avant = (
                Devis.objects.filter(pk=self.pk)
                .values("statut", *self.CHAMPS_FIGES)
                .first()
            )
            if avant is not None and avant["statut"] != self.Statut.BROUILLON:
                modifies = [
                    champ
                    for champ in self.CHAMPS_FIGES
                    if _valeur(self, champ) != avant[champ]
                ]
                if modifies:
                    raise DevisVerrouille(
                        "Un devis émis ne peut plus être modifié "
                        f"({', '.join(modifies)})."
                    )
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if Devis.objects.filter(pk=self.pk).exclude(statut="brouillon").exists():
            raise DevisVerrouille("Un devis émis ne se supprime pas : annulez-le.")
        return super().delete(*args, **kwargs)

    def lignes_de_cles(self) -> list:
        """Les lignes de clés de signature de ce devis qui font des certificats
        (celles de La Fibre, qui les facture)."""
        if self.emetteur.code != Emetteur.FIBRE:
            return []
        return [ligne for ligne in self.lignes.all() if cle_du_code(ligne.code)]

    @property
    def est_brouillon(self) -> bool:
        return self.statut == self.Statut.BROUILLON

    @property
    def est_perime(self) -> bool:
        """Émis et dont la date de validité est passée (expiré dès le lendemain)."""
        return (
            self.statut == self.Statut.EMIS
            and self.date_validite is not None
            and self.date_validite < timezone.localdate()
        )

    @property
    def attend_reponse(self) -> bool:
        """Émis et encore valable : il peut recevoir un bon pour accord ou un
        refus."""
        return self.statut == self.Statut.EMIS and not self.est_perime

    @property
    def statut_affiche(self) -> str:
        """Le statut à montrer : « Expiré » dès la date passée, sans attendre la
        commande quotidienne qui l'enregistre."""
        if self.est_perime:
            return self.Statut.EXPIRE.label
        return self.get_statut_display()

    @property
    def code_statut_affiche(self) -> str:
        return self.Statut.EXPIRE if self.est_perime else self.statut


def _valeur(devis: Devis, champ: str):
    valeur = getattr(devis, champ)
    return (valeur.name or "") if champ == "pdf" else valeur


class LigneDevis(models.Model):
    """Une ligne imprimée du devis, avec toutes ses valeurs copiées de la grille."""

    class Mode(models.TextChoices):
        TARIF = "tarif", "Tarif"
        INCLUS = "inclus", "Inclus"
        SUR_DEVIS = "sur_devis", "Sur devis"

    devis = models.ForeignKey(Devis, on_delete=models.PROTECT, related_name="lignes")
    ordre = models.PositiveIntegerField(default=0)
    code = models.CharField(max_length=60)
    libelle = models.CharField("libellé", max_length=200)
    section = models.CharField(max_length=100, blank=True)
    unite = models.CharField("unité", max_length=100, blank=True)
    quantite = models.PositiveIntegerField("quantité")
    prix_unitaire = models.DecimalField(
        "prix unitaire TTC", max_digits=12, decimal_places=2, null=True, blank=True
    )
    montant = models.DecimalField(
        "montant TTC", max_digits=12, decimal_places=2, null=True, blank=True
    )
    periodicite = models.CharField("périodicité", max_length=10)
    mode = models.CharField(max_length=10, choices=Mode.choices)
    # Prix saisi par un agent pour une ligne « sur devis ».
    prix_manuel = models.BooleanField("prix saisi manuellement", default=False)
    justification = models.TextField(blank=True)
    mention = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = "ligne de devis"
        verbose_name_plural = "lignes de devis"
        ordering = ["devis", "ordre", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(prix_manuel=True) | ~Q(justification=""),
                name="ligne_prix_manuel_justifie",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.libelle} × {self.quantite}"

    def save(self, *args, **kwargs):
        self._verifier_brouillon()
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        self._verifier_brouillon()
        return super().delete(*args, **kwargs)

    @property
    def a_chiffrer(self) -> bool:
        """Ligne sur devis dont le prix n'a pas encore été saisi."""
        return self.mode == self.Mode.SUR_DEVIS and self.montant is None

    def _verifier_brouillon(self) -> None:
        if Devis.objects.filter(pk=self.devis_id).exclude(statut="brouillon").exists():
            raise DevisVerrouille("Les lignes d'un devis émis ne se modifient plus.")


class EnvoiDevis(models.Model):
    """Trace de chaque envoi d'un devis émis par courriel : demandé par l'agent,
    parti en tâche de fond (``devis.tasks.envoyer_devis``) ; un échec reste
    visible et est retenté par la tâche quotidienne (``manage.py relancer``)."""

    class Statut(models.TextChoices):
        A_ENVOYER = "a_envoyer", "En cours d'envoi"
        ENVOYE = "envoye", "Parti"
        ECHEC = "echec", "Envoi en échec"

    devis = models.ForeignKey(Devis, on_delete=models.PROTECT, related_name="envois")
    destinataires = models.CharField(max_length=500)
    envoye_le = models.DateTimeField("demandé le", auto_now_add=True)
    statut = models.CharField(
        max_length=10, choices=Statut.choices, default=Statut.A_ENVOYER
    )
    parti_le = models.DateTimeField("parti le", null=True, blank=True)
    tentatives = models.PositiveSmallIntegerField(default=0)
    erreur = models.TextField(blank=True)
    envoye_par = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = "envoi de devis"
        verbose_name_plural = "envois de devis"
        ordering = ["-envoye_le"]

    def __str__(self) -> str:
        return f"{self.devis} → {self.destinataires}"

    @property
    def liste_destinataires(self) -> list[str]:
        return [a.strip() for a in self.destinataires.split(",") if a.strip()]


class EvenementDevis(models.Model):
    """Historique des statuts d'un devis (qui, quand, quoi)."""

    devis = models.ForeignKey(
        Devis, on_delete=models.PROTECT, related_name="evenements"
    )
    statut = models.CharField(max_length=10, choices=Devis.Statut.choices)
    commentaire = models.TextField(blank=True)
    par = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    le = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "événement de devis"
        verbose_name_plural = "événements de devis"
        ordering = ["le", "id"]

    def __str__(self) -> str:
        return f"{self.devis} : {self.get_statut_display()} le {self.le:%d/%m/%Y}"


class CompteurDevis(models.Model):
    """Dernier numéro attribué par émetteur et par année (numérotation sans trou).

    La ligne est verrouillée (``select_for_update``) le temps de la transaction
    d'émission : un rollback rend le numéro au suivant.
    """

    emetteur = models.ForeignKey(Organisme, on_delete=models.PROTECT, related_name="+")
    annee = models.PositiveSmallIntegerField("année")
    dernier = models.PositiveIntegerField("dernier numéro attribué", default=0)

    class Meta:
        verbose_name = "compteur de devis"
        verbose_name_plural = "compteurs de devis"
        constraints = [
            models.UniqueConstraint(
                fields=["emetteur", "annee"], name="compteur_unique_par_emetteur_annee"
            )
        ]

    def __str__(self) -> str:
        return f"{self.emetteur.prefixe_numero}-{self.annee} : {self.dernier}"


class NumeroReserve(models.Model):
    """Un numéro réservé par une émission en cours (``devis.numerotation``) :
    le compteur n'est verrouillé que le temps de la réservation, pas du rendu
    du PDF. L'émission réussie efface sa réservation ; une émission en échec la
    rend (``libere``) et l'émission suivante du même émetteur reprend ce numéro
    avant d'en prendre un neuf : la numérotation reste sans trou."""

    emetteur = models.ForeignKey(Organisme, on_delete=models.PROTECT, related_name="+")
    annee = models.PositiveSmallIntegerField("année")
    sequence = models.PositiveIntegerField("numéro")
    jeton = models.UUIDField(unique=True)
    reserve_le = models.DateTimeField("réservé le")
    libere = models.BooleanField("rendu", default=False)

    class Meta:
        verbose_name = "numéro réservé"
        verbose_name_plural = "numéros réservés"
        constraints = [
            models.UniqueConstraint(
                fields=["emetteur", "annee", "sequence"],
                name="numero_reserve_unique_par_emetteur_annee",
            )
        ]

    def __str__(self) -> str:
        return f"{self.emetteur.prefixe_numero}-{self.annee} : {self.sequence}"
