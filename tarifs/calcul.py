"""Moteur de chiffrage : fonctions pures, sans accès à la base.

Entrée : un instantané de grille (``Grille``), une catégorie (ou de quoi la
déduire) et les lignes demandées. Sortie : pour chaque émetteur (La Fibre puis
le CDG), les lignes chiffrées et les trois totaux (unique, annuel, première
année), en ``Decimal`` au centime. C'est l'unique chemin de calcul des prix :
l'API ``/api/chiffrage`` et les formulaires de devis l'appellent tous deux.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, localcontext

from tarifs.enums import Emetteur, Periodicite

# Dans cet ordre partout : le devis de services, puis l'accompagnement.
EMETTEURS = (Emetteur.FIBRE, Emetteur.CDG)

MODE_TARIF = "tarif"
MODE_INCLUS = "inclus"
MODE_SUR_DEVIS = "sur_devis"

QUANTITE_MAX = 99_999

# Les clés de signature (domaine §8) : « cle-<1an|2ans|3ans>-<cdg|transporteur> »,
# un certificat par unité, facturé par La Fibre (la ligne du CDG est la remise).
CODE_CLE = re.compile(r"^cle-(?P<annees>[123])ans?-(?P<mode>cdg|transporteur)$")


def cle_du_code(code: str) -> tuple[int, str] | None:
    """(validité en années, mode de remise) d'un code de clé, sinon ``None``."""
    correspondance = CODE_CLE.match(code)
    if correspondance is None:
        return None
    return int(correspondance["annees"]), correspondance["mode"]


CENTIME = Decimal("0.01")
ZERO = Decimal("0.00")


def arrondi_centime(montant: Decimal) -> Decimal:
    """L'unique règle d'arrondi de l'application : au centime, demi vers le haut
    (en valeur absolue), quelle que soit la taille du nombre ; un zéro arrondi
    n'a pas de signe (jamais « -0,00 »)."""
    montant = Decimal(montant)
    with localcontext() as ctx:
        ctx.prec = max(28, len(montant.as_tuple().digits) + 4)
        arrondi = montant.quantize(CENTIME, rounding=ROUND_HALF_UP)
    return arrondi.copy_abs() if arrondi.is_zero() else arrondi


class ErreurChiffrage(Exception):
    """Demande impossible à chiffrer ; ``erreurs`` porte les messages en français."""

    def __init__(self, erreurs: list[str]):
        super().__init__("; ".join(erreurs))
        self.erreurs = list(erreurs)


# --- Instantané de grille -------------------------------------------------


@dataclass(frozen=True)
class SeuilsCategorie:
    code: str
    population_min: int
    population_max: int | None
    agents_min: int
    agents_max: int | None


@dataclass(frozen=True)
class Palier:
    quantite_min: int
    quantite_max: int
    montant: Decimal


@dataclass(frozen=True)
class Bareme:
    code: str
    paliers: tuple[Palier, ...]
    au_dela_tranche: int | None = None
    au_dela_montant: Decimal | None = None


@dataclass(frozen=True)
class Tarif:
    emetteur: str
    calcul: str  # unitaire | bareme | categorie | inclus | sur_devis
    periodicite: str
    prix_unitaire: Decimal | None = None
    plafond: int | None = None
    bareme: Bareme | None = None
    si_intervention: bool = False
    montants_categorie: dict[str, Decimal | None] = field(default_factory=dict)
    mention: str = ""


@dataclass(frozen=True)
class Prestation:
    code: str
    libelle: str
    section: str
    unite: str
    ordre: int
    tarifs: tuple[Tarif, ...]

    @property
    def accepte_intervention(self) -> bool:
        return any(t.si_intervention for t in self.tarifs)

    @property
    def depend_de_la_categorie(self) -> bool:
        return any(t.calcul == "categorie" for t in self.tarifs)


@dataclass(frozen=True)
class LigneDerivee:
    code: str
    libelle: str
    emetteur: str
    periodicite: str
    unite: str
    bareme: Bareme
    codes_comptes: tuple[str, ...]
    ordre: int


@dataclass(frozen=True)
class Grille:
    reference: str
    date_deliberation: date
    date_effet: date
    categories: tuple[SeuilsCategorie, ...]
    prestations: dict[str, Prestation]
    lignes_derivees: tuple[LigneDerivee, ...] = ()
    id: int | None = None

    @property
    def codes_categories(self) -> tuple[str, ...]:
        return tuple(c.code for c in self.categories)


# --- Demande et résultat --------------------------------------------------


@dataclass(frozen=True)
class LigneDemandee:
    code: str
    quantite: int
    intervention: bool = False


@dataclass(frozen=True)
class LigneChiffree:
    code: str
    libelle: str
    section: str
    unite: str
    quantite: int
    prix_unitaire: Decimal | None
    montant: Decimal | None
    periodicite: str
    mode: str
    ordre: int
    mention: str = ""

    @property
    def sur_devis(self) -> bool:
        return self.mode == MODE_SUR_DEVIS


@dataclass(frozen=True)
class DevisChiffre:
    emetteur: str
    lignes: tuple[LigneChiffree, ...]
    total_unique: Decimal
    total_annuel: Decimal
    total_premiere_annee: Decimal
    sur_devis: bool

    @property
    def a_emettre(self) -> bool:
        """Un émetteur n'a de devis que s'il a un montant ou une ligne sur devis."""
        return any(
            ligne.mode == MODE_SUR_DEVIS
            or (ligne.mode == MODE_TARIF and ligne.montant is not None)
            for ligne in self.lignes
        )

    @property
    def a_des_lignes_incluses(self) -> bool:
        return any(ligne.mode == MODE_INCLUS for ligne in self.lignes)


@dataclass(frozen=True)
class Chiffrage:
    grille: Grille
    categorie: str | None
    devis: tuple[DevisChiffre, ...]

    def pour(self, emetteur: str) -> DevisChiffre:
        return next(d for d in self.devis if d.emetteur == emetteur)


# --- Catégories -----------------------------------------------------------


def _dans(valeur: int, minimum: int, maximum: int | None) -> bool:
    return valeur >= minimum and (maximum is None or valeur <= maximum)


def categorie_pour(
    grille: Grille, *, population: int | None = None, agents: int | None = None
) -> str:
    """Catégorie d'une collectivité (tableau 2 de la grille).

    Une commune ou un EPCI est classé par sa population totale, un établissement
    sans population par son nombre d'agents ; si les deux sont connus, la
    population l'emporte. Les bornes viennent de la grille (exactement 1 000
    habitants : catégorie A pour la grille 2024/14).
    """
    if population is not None:
        if population < 0:
            raise ErreurChiffrage(["La population ne peut pas être négative."])
        for seuil in grille.categories:
            if _dans(population, seuil.population_min, seuil.population_max):
                return seuil.code
        raise ErreurChiffrage(
            [f"Aucune catégorie de la grille ne couvre {population} habitants."]
        )
    if agents is not None:
        if agents < 0:
            raise ErreurChiffrage(["Le nombre d'agents ne peut pas être négatif."])
        for seuil in grille.categories:
            if _dans(agents, seuil.agents_min, seuil.agents_max):
                return seuil.code
        raise ErreurChiffrage(
            [f"Aucune catégorie de la grille ne couvre {agents} agents."]
        )
    raise ErreurChiffrage(
        ["La population ou le nombre d'agents est nécessaire pour la catégorie."]
    )


# --- Barèmes --------------------------------------------------------------


def montant_bareme(bareme: Bareme, quantite: int) -> Decimal | None:
    """Montant forfaitaire du palier qui contient ``quantite`` ; ``None`` = sur devis.

    Au-delà du dernier palier : dernier montant + un incrément par tranche
    *commencée* (ex. 150 € + 50 € × ⌈(N − 20) / 20⌉), ou sur devis si le barème
    ne prévoit pas d'incrément.
    """
    for palier in bareme.paliers:
        if palier.quantite_min <= quantite <= palier.quantite_max:
            return arrondi_centime(palier.montant)
    dernier = bareme.paliers[-1]
    if quantite > dernier.quantite_max and bareme.au_dela_tranche:
        tranches = math.ceil((quantite - dernier.quantite_max) / bareme.au_dela_tranche)
        return arrondi_centime(dernier.montant + bareme.au_dela_montant * tranches)
    return None


# --- Chiffrage ------------------------------------------------------------


def _valider(grille: Grille, lignes: list[LigneDemandee], categorie: str | None):
    erreurs: list[str] = []
    vus: set[str] = set()
    for ligne in lignes:
        prestation = grille.prestations.get(ligne.code)
        if prestation is None:
            erreurs.append(f"Code de prestation inconnu : « {ligne.code} ».")
            continue
        if ligne.code in vus:
            erreurs.append(f"La prestation « {ligne.code} » est demandée deux fois.")
        vus.add(ligne.code)
        if (
            isinstance(ligne.quantite, bool)
            or not isinstance(ligne.quantite, int)
            or not 1 <= ligne.quantite <= QUANTITE_MAX
        ):
            erreurs.append(
                f"Quantité invalide pour « {ligne.code} » : un nombre entier "
                f"de 1 à {QUANTITE_MAX} est attendu."
            )
        if ligne.intervention and not prestation.accepte_intervention:
            erreurs.append(
                f"L'option « intervention » ne s'applique pas à « {ligne.code} »."
            )
        if prestation.depend_de_la_categorie and categorie is None:
            erreurs.append(
                f"La prestation « {ligne.code} » dépend de la catégorie de la "
                "collectivité : indiquez sa population, son nombre d'agents, "
                "sa catégorie ou son identifiant."
            )
    if categorie is not None and categorie not in grille.codes_categories:
        erreurs.append(f"Catégorie inconnue : « {categorie} ».")
    if erreurs:
        raise ErreurChiffrage(erreurs)


def _ligne_tarif(
    prestation: Prestation, tarif: Tarif, quantite: int, categorie: str | None
) -> LigneChiffree:
    mode, prix, montant = MODE_TARIF, None, None
    if tarif.calcul == "inclus":
        mode, prix, montant = MODE_INCLUS, ZERO, ZERO
    elif tarif.calcul == "sur_devis":
        mode = MODE_SUR_DEVIS
    elif tarif.calcul == "unitaire":
        if tarif.plafond is not None and quantite > tarif.plafond:
            mode = MODE_SUR_DEVIS
        else:
            prix = arrondi_centime(tarif.prix_unitaire)
            montant = arrondi_centime(prix * quantite)
    elif tarif.calcul == "bareme":
        forfait = montant_bareme(tarif.bareme, quantite)
        if forfait is None:
            mode = MODE_SUR_DEVIS
        else:
            prix = montant = forfait
    elif tarif.calcul == "categorie":
        unitaire = tarif.montants_categorie.get(categorie)
        if unitaire is None:
            mode = MODE_SUR_DEVIS
        else:
            prix = arrondi_centime(unitaire)
            montant = arrondi_centime(prix * quantite)
    else:  # pragma: no cover - protégé par les choix du modèle
        raise ValueError(f"Mode de calcul inconnu : {tarif.calcul}")
    return LigneChiffree(
        code=prestation.code,
        libelle=prestation.libelle,
        section=prestation.section,
        unite=prestation.unite,
        quantite=quantite,
        prix_unitaire=prix,
        montant=montant,
        periodicite=tarif.periodicite,
        mode=mode,
        ordre=prestation.ordre,
        mention=tarif.mention if mode == MODE_SUR_DEVIS else "",
    )


def _ligne_derivee(derivee: LigneDerivee, quantite: int) -> LigneChiffree:
    forfait = montant_bareme(derivee.bareme, quantite)
    return LigneChiffree(
        code=derivee.code,
        libelle=derivee.libelle,
        section="",
        unite=derivee.unite,
        quantite=quantite,
        prix_unitaire=forfait,
        montant=forfait,
        periodicite=derivee.periodicite,
        mode=MODE_TARIF if forfait is not None else MODE_SUR_DEVIS,
        ordre=derivee.ordre,
    )


def totaliser(emetteur: str, lignes: list[LigneChiffree]) -> DevisChiffre:
    """Les trois totaux d'un émetteur.

    Une ligne sur devis n'y entre qu'une fois son montant fixé par un agent ;
    ``sur_devis`` signale qu'il reste au moins une ligne sans montant.
    """
    lignes = sorted(lignes, key=lambda ligne: (ligne.ordre, ligne.code))
    unique = sum(
        (
            ligne.montant
            for ligne in lignes
            if ligne.montant is not None and ligne.periodicite == Periodicite.UNIQUE
        ),
        ZERO,
    )
    annuel = sum(
        (
            ligne.montant
            for ligne in lignes
            if ligne.montant is not None and ligne.periodicite == Periodicite.ANNUELLE
        ),
        ZERO,
    )
    return DevisChiffre(
        emetteur=emetteur,
        lignes=tuple(lignes),
        total_unique=arrondi_centime(unique),
        total_annuel=arrondi_centime(annuel),
        total_premiere_annee=arrondi_centime(unique + annuel),
        sur_devis=any(ligne.sur_devis and ligne.montant is None for ligne in lignes),
    )


def chiffrer(
    grille: Grille, lignes: list[LigneDemandee], *, categorie: str | None = None
) -> Chiffrage:
    """Chiffre une demande sur une grille, par émetteur.

    Chaque prestation produit une ligne par tarif d'émetteur (un tarif « si
    intervention » seulement si l'intervention est demandée) ; chaque ligne
    dérivée de la grille compte le total des quantités de ses prestations et
    n'apparaît que si ce total est d'au moins 1.
    """
    _valider(grille, lignes, categorie)
    par_emetteur: dict[str, list[LigneChiffree]] = {e: [] for e in EMETTEURS}
    quantites = {ligne.code: ligne.quantite for ligne in lignes}
    for ligne in lignes:
        prestation = grille.prestations[ligne.code]
        for tarif in prestation.tarifs:
            if tarif.si_intervention and not ligne.intervention:
                continue
            par_emetteur[tarif.emetteur].append(
                _ligne_tarif(prestation, tarif, ligne.quantite, categorie)
            )
    for derivee in grille.lignes_derivees:
        total = sum(quantites.get(code, 0) for code in derivee.codes_comptes)
        if total >= 1:
            par_emetteur[derivee.emetteur].append(_ligne_derivee(derivee, total))
    return Chiffrage(
        grille=grille,
        categorie=categorie,
        devis=tuple(totaliser(e, par_emetteur[e]) for e in EMETTEURS),
    )


def appliquer_prix_manuels(
    chiffrage: Chiffrage, prix: dict[tuple[str, str], Decimal]
) -> Chiffrage:
    """Fixe le montant des lignes « sur devis » saisi par un agent.

    ``prix`` associe (émetteur, code) au montant TTC de la ligne ; seules les
    lignes sur devis sont concernées (un prix pour une autre ligne est ignoré).
    La ligne garde son mode « sur devis » : le document dit d'où vient le prix.
    """
    devis = []
    for d in chiffrage.devis:
        lignes = []
        for ligne in d.lignes:
            montant = prix.get((d.emetteur, ligne.code))
            if ligne.mode == MODE_SUR_DEVIS and montant is not None:
                ligne = replace(ligne, montant=arrondi_centime(montant))
            lignes.append(ligne)
        devis.append(totaliser(d.emetteur, lignes))
    return replace(chiffrage, devis=tuple(devis))
