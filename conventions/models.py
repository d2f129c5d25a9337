from __future__ import annotations

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.db import models
from django.db.models import Q
from django.utils.deconstruct import deconstructible
from simple_history.models import HistoricalRecords

from comptes.models import Utilisateur
from conventions.recherche import normaliser
from tarifs.models import Emetteur, VersionPubliee

# Les 7 arrondissements du Pas-de-Calais (code officiel géographique, vérifié
# sur data/arrondissements.json de @etalab/decoupage-administratif 6.0.0).
ARRONDISSEMENTS = {
    "621": "Arras",
    "622": "Béthune",
    "623": "Boulogne-sur-Mer",
    "624": "Montreuil",
    "625": "Saint-Omer",
    "626": "Calais",
    "627": "Lens",
}


class Collectivite(models.Model):
    """Une collectivité ou un établissement public du Pas-de-Calais.

    Sa catégorie (tableau 2 de la grille) se déduit de sa population totale
    (communes, EPCI) ou de son nombre d'agents ; un agent du CDG peut la forcer
    en donnant un motif.
    """

    class Type(models.TextChoices):
        COMMUNE = "commune", "Commune"
        EPCI = "epci", "EPCI (communauté de communes ou d'agglomération)"
        CCAS = "ccas", "CCAS / CIAS"
        SYNDICAT = "syndicat", "Syndicat"
        AUTRE = "autre", "Autre établissement public"

    class NatureEpci(models.TextChoices):
        CC = "CC", "Communauté de communes"
        CA = "CA", "Communauté d'agglomération"
        CU = "CU", "Communauté urbaine"

    class SourcePopulation(models.TextChoices):
        EPCI = "epci", "Membres de l'EPCI (population totale)"
        COMMUNE = "commune", "Population de la commune (hors EPCI)"

    # Ce qu'un agent saisit (formulaire, import) ; la catégorie forcée passe
    # par son propre service, motif obligatoire.
    CHAMPS_SAISIS = (
        "type",
        "nom",
        "siren",
        "siret",
        "code_insee",
        "adresse",
        "code_postal",
        "ville",
        "population",
        "population_annee",
        "agents",
        "agents_date",
        "emails_contact",
        "telephone",
    )

    type = models.CharField(max_length=10, choices=Type.choices, default=Type.COMMUNE)
    nom = models.CharField(max_length=200)
    siren = models.CharField("SIREN", max_length=9, blank=True)
    siret = models.CharField("SIRET", max_length=14, blank=True)
    code_insee = models.CharField("code INSEE", max_length=5, blank=True)
    adresse = models.CharField(max_length=300, blank=True)
    code_postal = models.CharField("code postal", max_length=5, blank=True)
    ville = models.CharField(max_length=100, blank=True)
    population = models.PositiveIntegerField("population totale", null=True, blank=True)
    population_annee = models.PositiveSmallIntegerField(
        "année de la population", null=True, blank=True
    )
    agents = models.PositiveIntegerField("nombre d'agents", null=True, blank=True)
    agents_date = models.DateField("nombre d'agents au", null=True, blank=True)
    emails_contact = models.CharField(
        "adresses électroniques de contact",
        max_length=500,
        blank=True,
        help_text="Une ou plusieurs adresses, séparées par des virgules.",
    )
    telephone = models.CharField("téléphone", max_length=20, blank=True)
    categorie_forcee = models.CharField("catégorie forcée", max_length=2, blank=True)
    categorie_forcee_motif = models.TextField("motif du forçage", blank=True)
    creee_le = models.DateTimeField("créée le", auto_now_add=True)

    # --- Référentiel officiel (communes et EPCI du 62, voir referentiel_charger)
    epci = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="communes",
        limit_choices_to={"type": "epci"},
        verbose_name="EPCI de rattachement",
    )
    codes_postaux = models.JSONField("codes postaux", default=list, blank=True)
    arrondissement = models.CharField(
        "arrondissement",
        max_length=3,
        blank=True,
        choices=list(ARRONDISSEMENTS.items()),
    )
    population_municipale = models.PositiveIntegerField(
        "population municipale", null=True, blank=True
    )
    population_source = models.CharField(
        "origine de la population",
        max_length=10,
        blank=True,
        choices=SourcePopulation.choices,
    )
    nature_epci = models.CharField(
        "nature de l'EPCI", max_length=2, blank=True, choices=NatureEpci.choices
    )
    referentiel_millesime = models.PositiveSmallIntegerField(
        "millésime du référentiel",
        null=True,
        blank=True,
        help_text="Renseigné si la collectivité vient du référentiel officiel.",
    )
    # Forme normalisée du nom (conventions.recherche.normaliser), tenue à jour à
    # chaque écriture : la recherche « comme on tape » s'y fait par index.
    nom_recherche = models.CharField(
        "nom (forme de recherche)", max_length=200, blank=True, editable=False
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = "collectivité"
        verbose_name_plural = "collectivités"
        ordering = ["nom"]
        indexes = [
            models.Index(fields=["code_insee"], name="collectivite_code_insee"),
            models.Index(fields=["siren"], name="collectivite_siren"),
            models.Index(fields=["nom_recherche"], name="collectivite_nom_recherche"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(categorie_forcee="")
                | ~models.Q(categorie_forcee_motif=""),
                name="collectivite_forcage_motive",
                violation_error_message=(
                    "Un motif est obligatoire pour forcer la catégorie."
                ),
            ),
        ]

    def __str__(self) -> str:
        return self.nom

    def save(self, *args, **kwargs):
        # Une colonne dérivée, pas une règle métier : elle suit le nom partout
        # (formulaire, import, administration, données de démonstration).
        self.nom_recherche = normaliser(self.nom)
        if "update_fields" in kwargs and kwargs["update_fields"] is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "nom_recherche"}
        super().save(*args, **kwargs)

    @property
    def vient_du_referentiel(self) -> bool:
        return self.referentiel_millesime is not None

    @property
    def liste_emails(self) -> list[str]:
        return [e.strip() for e in self.emails_contact.split(",") if e.strip()]


class Organisme(models.Model):
    """Une partie qui émet des devis et signe les conventions (CDG 62, La Fibre).

    Les faits absents de la délibération restent vides et s'affichent « à
    compléter » : ils se renseignent dans l'administration, jamais inventés.
    """

    code = models.CharField(
        "émetteur", max_length=10, choices=Emetteur.choices, unique=True
    )
    nom = models.CharField(max_length=200)
    statut_juridique = models.CharField("statut juridique", max_length=200, blank=True)
    adresse = models.CharField(max_length=300, blank=True)
    code_postal = models.CharField("code postal", max_length=5, blank=True)
    ville = models.CharField(max_length=100, blank=True)
    siret = models.CharField("SIRET", max_length=14, blank=True)
    email = models.EmailField("adresse électronique", blank=True)
    telephone = models.CharField("téléphone", max_length=20, blank=True)
    logo = models.ImageField(upload_to="logos/", blank=True)
    signataire_nom = models.CharField("nom du signataire", max_length=200, blank=True)
    signataire_qualite = models.CharField(
        "qualité du signataire", max_length=200, blank=True
    )
    mention_tva = models.CharField(
        "mention TVA",
        max_length=300,
        blank=True,
        help_text="Ex. « TVA non applicable, art. 256 B du CGI » — à fixer par "
        "l'émetteur.",
    )
    prefixe_numero = models.CharField(
        "préfixe des numéros de devis", max_length=20, unique=True
    )
    validite_jours = models.PositiveSmallIntegerField(
        "validité des devis (jours)", default=90
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = "organisme émetteur"
        verbose_name_plural = "organismes émetteurs"
        ordering = ["code"]

    def __str__(self) -> str:
        return self.nom


class TermesVerrouilles(Exception):
    """Tentative de modifier une version publiée des termes de la convention."""

    def __init__(
        self,
        message: str = "Une version publiée des termes ne peut plus être modifiée.",
    ):
        super().__init__(message)


class TermesConvention(VersionPubliee):
    """Les termes de la convention tripartite que la délibération ne fixe pas
    (durée, renouvellement, préavis de résiliation), versionnés comme la grille.

    Un brouillon se modifie librement ; une version publiée ne change plus
    jamais (garde du modèle) : une correction est une nouvelle version, avec
    sa propre date d'effet. La version en vigueur à une date est donnée par
    ``conventions.selectors.termes_en_vigueur`` ; chaque convention garde la
    version avec laquelle elle est partie en signature.
    """

    verrou = TermesVerrouilles
    message_suppression = "Une version publiée des termes ne peut pas être supprimée."

    class Statut(models.TextChoices):
        BROUILLON = "brouillon", "Brouillon"
        PUBLIEE = "publiee", "Publiée"

    reference = models.CharField(
        "référence",
        max_length=60,
        help_text="Ex. la délibération qui les fixe (« 2024/14 »).",
    )
    date_effet = models.DateField("date d'effet")
    statut = models.CharField(
        max_length=10, choices=Statut.choices, default=Statut.BROUILLON
    )
    duree_annees = models.PositiveSmallIntegerField(
        "durée (années)", null=True, blank=True
    )
    reconduction = models.TextField(
        "conditions de renouvellement",
        blank=True,
        help_text="Imprimé à l'article 7, ex. « reconduite tacitement par périodes "
        "d'un an, dans la limite de trois reconductions ».",
    )
    preavis_mois = models.PositiveSmallIntegerField(
        "préavis de résiliation (mois)", null=True, blank=True
    )
    note = models.CharField(
        "note",
        max_length=300,
        blank=True,
        help_text="Mention interne (ex. « valeurs de démonstration »).",
    )
    publiee_le = models.DateTimeField("publiée le", null=True, blank=True)
    creee_le = models.DateTimeField("créée le", auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = "termes de la convention"
        verbose_name_plural = "termes de la convention"
        ordering = ["-date_effet", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["date_effet"],
                condition=Q(statut="publiee"),
                name="termes_publies_date_effet_unique",
                violation_error_message=(
                    "Une version publiée des termes a déjà cette date d'effet."
                ),
            ),
        ]

    def __str__(self) -> str:
        return (
            f"Termes {self.reference} (effet {self.date_effet:%d/%m/%Y}, "
            f"{self.get_statut_display().lower()})"
        )


class Adhesion(models.Model):
    """Rattachement d'un utilisateur du portail à une collectivité."""

    class Role(models.TextChoices):
        CONSULTATION = "consultation", "Consultation"
        SIGNATAIRE = "signataire", "Signataire (peut accepter un devis)"

    utilisateur = models.ForeignKey(
        Utilisateur, on_delete=models.CASCADE, related_name="adhesions"
    )
    collectivite = models.ForeignKey(
        Collectivite, on_delete=models.CASCADE, related_name="adhesions"
    )
    role = models.CharField(
        "rôle", max_length=15, choices=Role.choices, default=Role.CONSULTATION
    )
    creee_le = models.DateTimeField("créée le", auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = "rattachement"
        verbose_name_plural = "rattachements"
        ordering = ["collectivite__nom", "utilisateur__email"]
        constraints = [
            models.UniqueConstraint(
                fields=["utilisateur", "collectivite"],
                name="adhesion_unique",
                violation_error_message=(
                    "Cet utilisateur est déjà rattaché à cette collectivité."
                ),
            )
        ]

    def __str__(self) -> str:
        role = self.get_role_display()
        return f"{self.utilisateur.email} — {self.collectivite} ({role})"


# Les scans signés ne sont jamais servis comme des fichiers publics : ils vivent
# hors de MEDIA_ROOT et passent par une vue qui vérifie l'accès.
@deconstructible
class StockagePrive(FileSystemStorage):
    """Stockage hors de MEDIA_ROOT, à ``settings.PRIVATE_STORAGE_ROOT``.

    L'emplacement est lu dans les réglages et non passé en argument : il ne
    doit pas être écrit dans les migrations (il dépend de la machine).
    """

    def __init__(self):
        super().__init__(location=settings.PRIVATE_STORAGE_ROOT)


stockage_prive = StockagePrive()


def _chemin_scan(instance, nom: str) -> str:
    return f"conventions/{instance.collectivite_id}/convention-{instance.pk}-signee.pdf"


def _chemin_pdf(instance, nom: str) -> str:
    return f"conventions/{instance.collectivite_id}/{nom}"


class Convention(models.Model):
    """Convention tripartite collectivité · La Fibre Numérique 59-62 · CDG 62."""

    class Statut(models.TextChoices):
        BROUILLON = "brouillon", "Brouillon"
        EN_SIGNATURE = "en_signature", "En signature"
        SIGNEE = "signee", "Signée (en vigueur)"
        RESILIEE = "resiliee", "Résiliée"
        EXPIREE = "expiree", "Expirée"

    collectivite = models.ForeignKey(
        Collectivite, on_delete=models.PROTECT, related_name="conventions"
    )
    statut = models.CharField(
        max_length=15, choices=Statut.choices, default=Statut.BROUILLON
    )
    grille = models.ForeignKey(
        "tarifs.GrilleTarifaire",
        on_delete=models.PROTECT,
        verbose_name="grille tarifaire annexée",
        related_name="+",
    )
    date_effet = models.DateField("date d'effet", null=True, blank=True)
    date_fin = models.DateField("date de fin", null=True, blank=True)
    scan = models.FileField(
        "convention signée (PDF)",
        storage=stockage_prive,
        upload_to=_chemin_scan,
        blank=True,
    )
    scan_sha256 = models.CharField("SHA-256 du scan", max_length=64, blank=True)
    scan_depose_le = models.DateTimeField("scan déposé le", null=True, blank=True)
    termes = models.ForeignKey(
        TermesConvention,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="termes (durée, renouvellement, préavis)",
    )
    # Le document généré, rendu une fois à l'envoi en signature puis une fois
    # à la troisième signature, et servi tel quel (empreinte vérifiée).
    pdf_envoye = models.FileField(
        "convention envoyée en signature (PDF)",
        storage=stockage_prive,
        upload_to=_chemin_pdf,
        blank=True,
    )
    pdf_envoye_sha256 = models.CharField(
        "SHA-256 de la convention envoyée", max_length=64, blank=True
    )
    pdf_signe = models.FileField(
        "convention signée générée (PDF)",
        storage=stockage_prive,
        upload_to=_chemin_pdf,
        blank=True,
    )
    pdf_signe_sha256 = models.CharField(
        "SHA-256 de la convention signée générée", max_length=64, blank=True
    )
    resiliation_date = models.DateField("date de résiliation", null=True, blank=True)
    resiliation_motif = models.TextField("motif de résiliation", blank=True)
    creee_le = models.DateTimeField("créée le", auto_now_add=True)
    creee_par = models.ForeignKey(
        Utilisateur, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = "convention"
        verbose_name_plural = "conventions"
        ordering = ["-creee_le"]
        indexes = [
            # L'ordre de la liste du back office (les plus récentes d'abord).
            models.Index(fields=["-creee_le", "-id"], name="convention_recentes"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["collectivite"],
                condition=Q(statut="signee"),
                name="convention_une_en_vigueur_par_collectivite",
                violation_error_message=(
                    "Une convention est déjà en vigueur pour cette collectivité."
                ),
            ),
            models.UniqueConstraint(
                fields=["collectivite"],
                condition=Q(statut__in=["brouillon", "en_signature"]),
                name="convention_une_en_preparation_par_collectivite",
                violation_error_message=(
                    "Une convention est déjà en préparation pour cette collectivité."
                ),
            ),
            models.CheckConstraint(
                condition=~Q(statut="resiliee")
                | (Q(resiliation_date__isnull=False) & ~Q(resiliation_motif="")),
                name="convention_resiliation_motivee",
            ),
        ]

    def __str__(self) -> str:
        return f"Convention n°{self.pk} — {self.collectivite}"


class Signature(models.Model):
    """Signature de l'une des trois parties, dans n'importe quel ordre."""

    class Partie(models.TextChoices):
        COLLECTIVITE = "collectivite", "La collectivité"
        # Les deux autres parties sont les émetteurs : mêmes codes.
        FIBRE = Emetteur.FIBRE.value, Emetteur.FIBRE.label
        CDG = Emetteur.CDG.value, "Le CDG 62"

    convention = models.ForeignKey(
        Convention, on_delete=models.CASCADE, related_name="signatures"
    )
    partie = models.CharField(max_length=15, choices=Partie.choices)
    signataire_nom = models.CharField("nom du signataire", max_length=200)
    signataire_qualite = models.CharField("qualité du signataire", max_length=200)
    date = models.DateField("date de signature")
    enregistree_par = models.ForeignKey(
        Utilisateur, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    enregistree_le = models.DateTimeField("enregistrée le", auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = "signature"
        verbose_name_plural = "signatures"
        ordering = ["convention", "date"]
        constraints = [
            models.UniqueConstraint(
                fields=["convention", "partie"],
                name="signature_une_par_partie",
                violation_error_message="Cette partie a déjà signé la convention.",
            )
        ]

    def __str__(self) -> str:
        partie = self.get_partie_display()
        return f"{partie} : {self.signataire_nom} ({self.date:%d/%m/%Y})"
