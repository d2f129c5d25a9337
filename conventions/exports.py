"""Les colonnes des exports tableur des listes de collectivités et de
conventions du back office (``?export=csv|xlsx``, ``config.tableurs``).

Tout se lit en une requête (``values_list``, sous-requêtes pour la situation
conventionnelle et les signatures) : 20 000 lignes sans instancier un modèle.
Les états sont en libellés français, les dates en dates, les identifiants
(code INSEE, SIREN, SIRET) en texte : un tableur n'en retire pas les zéros.
"""

from __future__ import annotations

from django.db.models import OuterRef, QuerySet, Subquery

from config.tableurs import Colonne, jour_local, libelles
from conventions.models import ARRONDISSEMENTS, Collectivite, Convention, Signature
from tarifs import calcul

Statut = Convention.Statut
EN_PREPARATION = (Statut.BROUILLON, Statut.EN_SIGNATURE)


# --- Collectivités ------------------------------------------------------------


def collectivites_a_exporter(collectivites: QuerySet) -> QuerySet:
    """La liste filtrée, avec sa situation conventionnelle en colonnes (la même
    que sur la page : en vigueur, en préparation, sinon la dernière)."""
    conventions = Convention.objects.filter(collectivite=OuterRef("pk")).order_by(
        "-creee_le", "-pk"
    )
    en_vigueur = conventions.filter(statut=Statut.SIGNEE)
    return collectivites.prefetch_related(None).annotate(
        vigueur_pk=Subquery(en_vigueur.values("pk")[:1]),
        vigueur_effet=Subquery(en_vigueur.values("date_effet")[:1]),
        preparation=Subquery(
            conventions.filter(statut__in=EN_PREPARATION).values("statut")[:1]
        ),
        derniere=Subquery(conventions.values("statut")[:1]),
    )


def _situation(vigueur_pk, preparation, derniere) -> str:
    etats = dict(Statut.choices)
    if vigueur_pk and preparation:
        return f"En vigueur ; nouvelle convention : {etats[preparation]}"
    if vigueur_pk:
        return "En vigueur"
    if preparation:
        return etats[preparation]
    return etats.get(derniere, "Aucune")


def _categorie(grille: calcul.Grille | None):
    """La catégorie comme sur la page : forcée, sinon selon la grille en
    vigueur ; vide quand rien ne la fonde."""

    def convertir(forcee, population, agents):
        if forcee:
            return forcee
        if grille is None:
            return ""
        try:
            return calcul.categorie_pour(grille, population=population, agents=agents)
        except calcul.ErreurChiffrage:
            return ""

    return convertir


def colonnes_collectivites(grille: calcul.Grille | None) -> tuple[Colonne, ...]:
    return (
        Colonne("Nom", "nom"),
        Colonne("Type", "type", libelles(Collectivite.Type)),
        Colonne("Code INSEE", "code_insee"),
        Colonne("SIREN", "siren"),
        Colonne("SIRET", "siret"),
        Colonne("Adresse", "adresse"),
        Colonne("Code postal", "code_postal"),
        Colonne("Ville", "ville"),
        Colonne("EPCI", "epci__nom"),
        Colonne("Arrondissement", "arrondissement", libelles(ARRONDISSEMENTS.items())),
        Colonne("Population totale", "population"),
        Colonne("Année de la population", "population_annee"),
        Colonne("Nombre d'agents", "agents"),
        Colonne(
            "Catégorie",
            ("categorie_forcee", "population", "agents"),
            _categorie(grille),
        ),
        Colonne("Catégorie forcée", "categorie_forcee", bool),
        Colonne("Convention", ("vigueur_pk", "preparation", "derniere"), _situation),
        Colonne("En vigueur depuis", "vigueur_effet"),
        Colonne("Adresses de contact", "emails_contact"),
        Colonne("Téléphone", "telephone"),
    )


# --- Conventions --------------------------------------------------------------

PARTIES = (
    (Signature.Partie.COLLECTIVITE, "la collectivité"),
    (Signature.Partie.FIBRE, "La Fibre"),
    (Signature.Partie.CDG, "le CDG"),
)


def conventions_a_exporter(conventions: QuerySet) -> QuerySet:
    """La liste filtrée, avec la signature de chaque partie en colonnes."""
    annotations = {}
    for partie, _ in PARTIES:
        signature = Signature.objects.filter(convention=OuterRef("pk"), partie=partie)
        annotations[f"sig_{partie}_nom"] = Subquery(
            signature.values("signataire_nom")[:1]
        )
        annotations[f"sig_{partie}_qualite"] = Subquery(
            signature.values("signataire_qualite")[:1]
        )
        annotations[f"sig_{partie}_date"] = Subquery(signature.values("date")[:1])
    return conventions.prefetch_related(None).annotate(**annotations)


def _manquantes(statut, *dates) -> str:
    if statut not in EN_PREPARATION:
        return ""
    return ", ".join(
        Signature.Partie(partie).label
        for (partie, _), date in zip(PARTIES, dates, strict=True)
        if date is None
    )


def _signataire(nom, qualite) -> str:
    return f"{nom}, {qualite}" if nom and qualite else (nom or "")


COLONNES_CONVENTIONS = (
    Colonne("N° convention", "pk"),
    Colonne("Collectivité", "collectivite__nom"),
    Colonne("Code INSEE", "collectivite__code_insee"),
    Colonne("SIREN", "collectivite__siren"),
    Colonne("SIRET", "collectivite__siret"),
    Colonne("État", "statut", libelles(Statut)),
    Colonne("Grille", "grille__reference"),
    Colonne("Créée le", "creee_le", jour_local),
    Colonne("Date d'effet", "date_effet"),
    Colonne("Date de fin", "date_fin"),
    *(
        colonne
        for partie, nom in PARTIES
        for colonne in (
            Colonne(
                f"Signataire pour {nom}",
                (f"sig_{partie}_nom", f"sig_{partie}_qualite"),
                _signataire,
            ),
            Colonne(f"Signée par {nom} le", f"sig_{partie}_date"),
        )
    ),
    Colonne(
        "Signatures manquantes",
        ("statut", *(f"sig_{partie}_date" for partie, _ in PARTIES)),
        _manquantes,
    ),
    Colonne("Scan signé déposé", "scan", bool),
    Colonne("Résiliée le", "resiliation_date"),
    Colonne("Motif de la résiliation", "resiliation_motif"),
)
