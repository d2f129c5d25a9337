"""Lectures sur les collectivités et les conventions.

- la situation conventionnelle d'une collectivité (convention en vigueur, en
  préparation, dernière) : une seule règle, pour le back office, le portail et
  les devis ;
- le journal des modifications (historique django-simple-history mis en
  lignes « champ : avant → après »).
"""

from __future__ import annotations

import datetime

from django.db.models import Prefetch, Q
from django.utils import timezone

from comptes.models import Utilisateur
from comptes.selectors import journal_des_comptes
from config import historique
from conventions.formats import format_date
from conventions.models import Adhesion, Collectivite, Convention, TermesConvention
from conventions.recherche import normaliser

Statut = Convention.Statut
EN_PREPARATION = (Statut.BROUILLON, Statut.EN_SIGNATURE)

# Champs suivis dans le journal des modifications.
CHAMPS_JOURNAL_COLLECTIVITE = (
    *Collectivite.CHAMPS_SAISIS,
    "categorie_forcee",
    "categorie_forcee_motif",
)
CHAMPS_JOURNAL_ADHESION = ("role",)
CHAMPS_JOURNAL_CONVENTION = (
    "statut",
    "date_effet",
    "date_fin",
    "resiliation_date",
    "resiliation_motif",
)


# --- Termes de la convention ----------------------------------------------------


def termes_en_vigueur(jour: datetime.date | None = None) -> TermesConvention | None:
    """La version publiée des termes de la convention de date d'effet la plus
    récente, au plus tard ``jour`` (aujourd'hui par défaut) ; ``None`` sinon."""
    jour = jour or timezone.localdate()
    return (
        TermesConvention.objects.filter(
            statut=TermesConvention.Statut.PUBLIEE, date_effet__lte=jour
        )
        .order_by("-date_effet", "-pk")
        .first()
    )


# --- Recherche par nom -------------------------------------------------------


def q_nom_cherche(texte: str, *, chemin: str = "") -> Q | None:
    """La condition « le nom contient chacun des mots tapés », sans souci de
    casse, d'accents, de tirets, d'apostrophes ni d'espaces en trop (« villers
    chatel » trouve Villers-Châtel, « st omer » Saint-Omer).

    Elle porte sur la colonne normalisée ``nom_recherche`` (index B-tree, et
    trigramme GIN sur PostgreSQL qui sert ``LIKE '%…%'``) ; ``chemin`` la
    préfixe pour chercher à travers une clé étrangère (``"collectivite__"``).
    ``None`` quand il n'y a aucun mot.
    """
    mots = normaliser(texte).split()
    if not mots:
        return None
    condition = Q()
    for mot in mots:
        condition &= Q(**{f"{chemin}nom_recherche__contains": mot})
    return condition


# --- Situation conventionnelle ----------------------------------------------


def situation(conventions: list[Convention]) -> dict:
    """La convention en vigueur, celle en préparation (au plus une de chaque,
    contraintes de base) et la dernière créée.

    ``conventions`` : les conventions d'une collectivité, les plus récentes
    d'abord (préchargées pour les listes). La convention *courante* est la
    première de : en vigueur, en préparation.
    """
    en_vigueur = next((c for c in conventions if c.statut == Statut.SIGNEE), None)
    en_preparation = next((c for c in conventions if c.statut in EN_PREPARATION), None)
    return {
        "en_vigueur": en_vigueur,
        "en_preparation": en_preparation,
        "courante": en_vigueur or en_preparation,
        "derniere": conventions[0] if conventions else None,
    }


def conventions_recentes() -> Prefetch:
    """Le préchargement des conventions d'une liste de collectivités, les plus
    récentes d'abord (l'ordre que :func:`situation` attend)."""
    return Prefetch(
        "conventions", queryset=Convention.objects.order_by("-creee_le", "-pk")
    )


def communes_de_l_epci(epci: Collectivite) -> list[Collectivite]:
    """Les communes d'un EPCI par nom, leurs conventions préchargées (deux
    requêtes en tout, quel que soit le nombre de communes)."""
    return list(
        epci.communes.prefetch_related(conventions_recentes()).order_by("nom", "pk")
    )


def convention_courante(collectivite: Collectivite) -> Convention | None:
    """La convention qui couvre la collectivité aujourd'hui : en vigueur, sinon
    en préparation ; jamais une convention résiliée ou expirée."""
    conventions = list(
        Convention.objects.filter(
            collectivite=collectivite, statut__in=[Statut.SIGNEE, *EN_PREPARATION]
        ).order_by("-creee_le", "-pk")
    )
    return situation(conventions)["courante"]


def adhesions_du_portail(utilisateur: Utilisateur) -> list[Adhesion]:
    """Les rattachements d'un utilisateur du portail, avec leur collectivité et
    ses conventions (récentes d'abord), par nom de collectivité."""
    return list(
        Adhesion.objects.filter(utilisateur=utilisateur)
        .select_related("collectivite")
        .prefetch_related(
            Prefetch(
                "collectivite__conventions",
                queryset=Convention.objects.order_by("-creee_le", "-pk"),
            )
        )
        .order_by("collectivite__nom")
    )


def adhesions_de_la_collectivite(collectivite: Collectivite):
    return (
        Adhesion.objects.filter(collectivite=collectivite)
        .select_related("utilisateur")
        .order_by("utilisateur__email")
    )


# --- Journal des modifications ------------------------------------------------


def _valeur(enregistrement, champ: str) -> str:
    valeur = getattr(enregistrement, champ)
    if valeur is None or valeur == "":
        return "—"
    choix = dict(enregistrement._meta.get_field(champ).flatchoices)
    if valeur in choix:
        return str(choix[valeur])
    if hasattr(valeur, "year"):
        return format_date(valeur)
    return str(valeur)


def journal(enregistrements, champs: tuple[str, ...], modele) -> list[dict]:
    """Lignes d'historique (simple_history), les plus récentes d'abord, les
    dates en toutes lettres (:func:`config.historique.journal`)."""
    return historique.journal(enregistrements, champs, modele, valeur=_valeur)


def journal_collectivite(collectivite: Collectivite) -> list[dict]:
    return journal(
        collectivite.history.select_related("history_user").order_by(
            "history_date", "history_id"
        ),
        CHAMPS_JOURNAL_COLLECTIVITE,
        Collectivite,
    )


def journal_convention(convention: Convention) -> list[dict]:
    return journal(
        convention.history.select_related("history_user").order_by(
            "history_date", "history_id"
        ),
        CHAMPS_JOURNAL_CONVENTION,
        Convention,
    )


def journaux_des_conventions(collectivite: Collectivite) -> dict[int, list[dict]]:
    """Le journal de chaque convention de la collectivité (brouillons supprimés
    compris, dont l'historique demeure), par identifiant de convention."""
    historiques = (
        Convention.history.filter(collectivite_id=collectivite.pk)
        .select_related("history_user")
        .order_by("history_date", "history_id")
    )
    journaux: dict[int, list[dict]] = {}
    for ligne in journal(historiques, CHAMPS_JOURNAL_CONVENTION, Convention):
        journaux.setdefault(ligne["objet_id"], []).append(ligne)
    return journaux


def _rattache(enregistrement) -> str:
    utilisateur = enregistrement.utilisateur
    if utilisateur is None:
        return f"Rattachement du compte n°{enregistrement.utilisateur_id} (supprimé)"
    return f"Rattachement de {utilisateur.email}"


def journal_des_rattachements(collectivite: Collectivite) -> list[dict]:
    """Qui a rattaché un utilisateur du portail à la collectivité, changé son
    rôle (consultation, signataire) ou l'a retiré, et qui a changé le compte
    de ces utilisateurs (rôle, adresse, état actif), quand : deux requêtes,
    rattachements retirés compris, la ligne la plus récente d'abord."""
    rattachements = (
        Adhesion.history.filter(collectivite_id=collectivite.pk)
        .select_related("history_user", "utilisateur")
        .order_by("history_date", "history_id")
    )
    rattaches = Adhesion.history.filter(collectivite_id=collectivite.pk).values(
        "utilisateur_id"
    )
    return historique.fusionner(
        historique.journal(
            rattachements,
            CHAMPS_JOURNAL_ADHESION,
            Adhesion,
            valeur=_valeur,
            objet=_rattache,
            creation=True,
        ),
        journal_des_comptes(rattaches),
    )
