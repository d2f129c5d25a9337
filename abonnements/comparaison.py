"""Comparer une grille (un brouillon, avant sa publication) à la grille en
vigueur : ce que chaque collectivité abonnée paierait par an, par émetteur.

Le chiffrage est exactement celui du renouvellement annuel : les quantités
viennent de l'inventaire (:func:`abonnements.services.lignes_a_renouveler`,
abonnements actifs au jour de comparaison), le prix du moteur
(``devis.services.chiffrer_pour`` → ``tarifs.calcul.chiffrer``), sur chacune
des deux grilles. Rien n'est écrit.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils import timezone

from abonnements.services import collectivites_a_renouveler, lignes_a_renouveler
from conventions.models import Collectivite
from devis import services as devis_services
from tarifs import calcul
from tarifs.models import GrilleTarifaire
from tarifs.selectors import grille_instantane, grille_remplacee

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Montant:
    """Le total annuel d'un émetteur sur une grille ; ``None`` : pas de
    chiffrage (la collectivité n'a pu être chiffrée sur cette grille)."""

    total: Decimal | None
    sur_devis: bool = False


@dataclass(frozen=True)
class MontantsEmetteur:
    avant: Montant
    apres: Montant

    @property
    def ecart(self) -> Decimal | None:
        if self.avant.total is None or self.apres.total is None:
            return None
        return self.apres.total - self.avant.total


@dataclass(frozen=True)
class LigneComparaison:
    collectivite: Collectivite
    par_emetteur: dict[str, MontantsEmetteur]
    remarques: tuple[str, ...] = ()

    @property
    def montants(self) -> list[MontantsEmetteur]:
        """Les montants des émetteurs, dans l'ordre des devis (La Fibre, CDG)."""
        return [self.par_emetteur[e] for e in calcul.EMETTEURS]

    def _somme(self, cote: str) -> Decimal | None:
        totaux = [getattr(m, cote).total for m in self.par_emetteur.values()]
        if any(t is None for t in totaux):
            return None
        return sum(totaux, ZERO)

    @property
    def total_avant(self) -> Decimal | None:
        return self._somme("avant")

    @property
    def total_apres(self) -> Decimal | None:
        return self._somme("apres")

    @property
    def total_ecart(self) -> Decimal | None:
        if self.total_avant is None or self.total_apres is None:
            return None
        return self.total_apres - self.total_avant


@dataclass
class Comparaison:
    grille: GrilleTarifaire
    reference: GrilleTarifaire | None
    jour: datetime.date
    lignes: list[LigneComparaison] = field(default_factory=list)

    def total(self, emetteur: str, cote: str) -> Decimal:
        """La somme des totaux par collectivité (celles qui n'ont pu être
        chiffrées ne comptent pas)."""
        return sum(
            (
                getattr(ligne.par_emetteur[emetteur], cote).total or ZERO
                for ligne in self.lignes
            ),
            ZERO,
        )

    def ecart(self, emetteur: str) -> Decimal:
        return self.total(emetteur, "apres") - self.total(emetteur, "avant")

    @property
    def total_avant(self) -> Decimal:
        return sum((self.total(e, "avant") for e in calcul.EMETTEURS), ZERO)

    @property
    def total_apres(self) -> Decimal:
        return sum((self.total(e, "apres") for e in calcul.EMETTEURS), ZERO)

    @property
    def total_ecart(self) -> Decimal:
        return self.total_apres - self.total_avant


def jour_de_comparaison(grille: GrilleTarifaire) -> datetime.date:
    """Le jour dont on prend l'inventaire : la date d'effet de la grille, ou
    aujourd'hui si elle est passée (on ne compare pas au passé)."""
    return max(grille.date_effet, timezone.localdate())


def _chiffrer(
    collectivite: Collectivite, instantane: calcul.Grille | None, jour: datetime.date
) -> tuple[dict[str, Montant], str]:
    """Les totaux annuels par émetteur d'une collectivité sur une grille, comme
    les chiffrerait son renouvellement ; et la raison d'un échec."""
    if instantane is None:
        return {e: Montant(None) for e in calcul.EMETTEURS}, ""
    lignes = lignes_a_renouveler(collectivite.pk, instantane, jour)
    if not lignes:
        return {e: Montant(ZERO) for e in calcul.EMETTEURS}, ""
    try:
        chiffrage = devis_services.chiffrer_pour(collectivite, lignes, instantane)
    except ValidationError as erreur:
        return {e: Montant(None) for e in calcul.EMETTEURS}, "; ".join(erreur.messages)
    return {
        d.emetteur: Montant(d.total_annuel, d.sur_devis) for d in chiffrage.devis
    }, ""


def comparer_grilles(
    *, grille: GrilleTarifaire, jour: datetime.date | None = None
) -> Comparaison:
    """Pour chaque collectivité qui a des abonnements actifs au ``jour``
    (:func:`jour_de_comparaison` par défaut), son total annuel par émetteur
    sur la grille qu'elle remplacerait (``tarifs.selectors.grille_remplacee``)
    puis sur ``grille`` : ce que coûterait le renouvellement sur chacune.

    Une collectivité qu'une grille ne sait pas chiffrer (catégorie inconnue…)
    reste dans la liste avec la raison, sans montant de ce côté.
    """
    jour = jour or jour_de_comparaison(grille)
    reference = grille_remplacee(grille)
    avant = grille_instantane(reference) if reference is not None else None
    apres = grille_instantane(grille)
    comparaison = Comparaison(grille=grille, reference=reference, jour=jour)
    for collectivite in collectivites_a_renouveler(jour):
        montants_avant, raison_avant = _chiffrer(collectivite, avant, jour)
        montants_apres, raison_apres = _chiffrer(collectivite, apres, jour)
        remarques = []
        if raison_avant and reference is not None:
            remarques.append(f"Grille {reference.reference} : {raison_avant}")
        if raison_apres:
            remarques.append(f"Grille {grille.reference} (nouvelle) : {raison_apres}")
        comparaison.lignes.append(
            LigneComparaison(
                collectivite=collectivite,
                par_emetteur={
                    e: MontantsEmetteur(montants_avant[e], montants_apres[e])
                    for e in calcul.EMETTEURS
                },
                remarques=tuple(remarques),
            )
        )
    return comparaison


# --- Tri des lignes -----------------------------------------------------------

# Colonne → ce que l'on trie ; une valeur manquante (non chiffrée) va en fin.
COLONNES_TRI = {
    "nom": "Collectivité",
    "fibre_avant": "La Fibre, avant",
    "fibre_apres": "La Fibre, après",
    "fibre_ecart": "La Fibre, écart",
    "cdg_avant": "CDG, avant",
    "cdg_apres": "CDG, après",
    "cdg_ecart": "CDG, écart",
    "total_avant": "Total, avant",
    "total_apres": "Total, après",
    "total_ecart": "Total, écart",
}
TRI_PAR_DEFAUT = "nom"


def _valeur_de_tri(ligne: LigneComparaison, colonne: str):
    if colonne == "nom":
        return ligne.collectivite.nom_recherche or ligne.collectivite.nom.lower()
    quoi, _, cote = colonne.partition("_")
    if quoi == "total":
        return getattr(ligne, f"total_{cote}")
    montants = ligne.par_emetteur[quoi]
    return montants.ecart if cote == "ecart" else getattr(montants, cote).total


def lire_tri(valeur: str | None) -> tuple[str, bool]:
    """(colonne, décroissant) d'un paramètre ``tri`` (« -fibre_ecart ») ; une
    valeur inconnue donne le tri par défaut."""
    valeur = (valeur or "").strip()
    decroissant = valeur.startswith("-")
    colonne = valeur.removeprefix("-")
    if colonne not in COLONNES_TRI:
        return TRI_PAR_DEFAUT, False
    return colonne, decroissant


def trier(
    lignes: list[LigneComparaison], colonne: str, decroissant: bool = False
) -> list[LigneComparaison]:
    """Les lignes triées sur ``colonne`` ; les non chiffrées toujours en fin,
    puis par nom."""
    presentes = [
        ligne for ligne in lignes if _valeur_de_tri(ligne, colonne) is not None
    ]
    absentes = [ligne for ligne in lignes if _valeur_de_tri(ligne, colonne) is None]
    presentes.sort(key=lambda ligne: _valeur_de_tri(ligne, "nom"))
    presentes.sort(
        key=lambda ligne: _valeur_de_tri(ligne, colonne), reverse=decroissant
    )
    absentes.sort(key=lambda ligne: _valeur_de_tri(ligne, "nom"))
    return presentes + absentes
