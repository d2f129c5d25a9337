"""Du formulaire de demande de devis au moteur de chiffrage.

Le formulaire du back office, son aperçu en direct (htmx) et son
enregistrement passent tous par :func:`chiffrer_demande`, qui appelle le même
moteur que l'API ``/api/chiffrage`` (``tarifs.calcul.chiffrer``) sur la grille
publiée en vigueur : il n'existe qu'un seul chemin de calcul des prix.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.utils import timezone

from conventions.models import Collectivite
from conventions.selectors import collectivite_categorie_connue
from tarifs import calcul
from tarifs.selectors import grille_en_vigueur, grille_instantane

PrixManuels = dict[tuple[str, str], tuple[Decimal, str]]


class AucuneGrilleEnVigueur(calcul.ErreurChiffrage):
    """Aucune grille publiée n'est en vigueur au jour demandé."""


def grille_du_jour(jour: date | None = None) -> calcul.Grille:
    """L'instantané de la grille publiée en vigueur ``jour`` (aujourd'hui par
    défaut) ; lève :class:`AucuneGrilleEnVigueur` s'il n'y en a pas."""
    jour = jour or timezone.localdate()
    grille = grille_en_vigueur(jour)
    if grille is None:
        raise AucuneGrilleEnVigueur(
            [f"Aucune grille tarifaire publiée n'est en vigueur au {jour:%d/%m/%Y}."]
        )
    return grille_instantane(grille)


def categorie_de(
    collectivite: Collectivite | None, grille: calcul.Grille
) -> str | None:
    """La catégorie de la collectivité comme l'API la calcule pour ``{"id": n}`` :
    le forçage motivé, sinon la population ou les agents ; ``None`` si rien n'est
    connu (une ligne qui dépend de la catégorie sera alors refusée par le
    moteur, avec un message en français)."""
    if collectivite is None:
        return None
    return collectivite_categorie_connue(collectivite, grille)


def chiffrer_demande(
    *,
    grille: calcul.Grille,
    collectivite: Collectivite | None,
    lignes: list[calcul.LigneDemandee],
    prix_manuels: PrixManuels | None = None,
) -> calcul.Chiffrage:
    """Chiffre une demande du formulaire : catégorie de la collectivité, moteur
    ``calcul.chiffrer`` puis montants saisis pour les lignes « sur devis »
    (``calcul.appliquer_prix_manuels``).

    Lève ``calcul.ErreurChiffrage`` (messages en français) si la demande ne
    peut pas être chiffrée.
    """
    categorie = categorie_de(collectivite, grille)
    chiffrage = calcul.chiffrer(grille, lignes, categorie=categorie)
    if prix_manuels:
        chiffrage = calcul.appliquer_prix_manuels(
            chiffrage, {cle: montant for cle, (montant, _) in prix_manuels.items()}
        )
    return chiffrage


@dataclass(frozen=True)
class Section:
    titre: str
    prestations: tuple[calcul.Prestation, ...]


def prestations_par_section(grille: calcul.Grille) -> list[Section]:
    """Les prestations de la grille dans l'ordre de la grille, groupées par
    section (une section apparaît à la place de sa première prestation)."""
    sections: dict[str, list[calcul.Prestation]] = {}
    for prestation in sorted(
        grille.prestations.values(), key=lambda p: (p.ordre, p.code)
    ):
        sections.setdefault(prestation.section or "Autres prestations", []).append(
            prestation
        )
    return [Section(titre, tuple(liste)) for titre, liste in sections.items()]


def lignes_sur_devis(chiffrage: calcul.Chiffrage) -> list[tuple[str, str]]:
    """Les couples (émetteur, code) des lignes « sur devis » d'un chiffrage."""
    return [
        (devis.emetteur, ligne.code)
        for devis in chiffrage.devis
        for ligne in devis.lignes
        if ligne.mode == calcul.MODE_SUR_DEVIS
    ]
