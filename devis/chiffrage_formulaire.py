"""Du formulaire de demande de devis au moteur de chiffrage.

Le formulaire du back office, son aperçu en direct (htmx) et son
enregistrement passent tous par :func:`chiffrer_demande`, qui appelle le même
moteur que l'API ``/api/chiffrage`` (``tarifs.calcul.chiffrer``) sur la grille
publiée en vigueur : il n'existe qu'un seul chemin de calcul des prix.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from conventions.categories import categorie_expliquee
from conventions.models import Collectivite
from tarifs import calcul

PrixManuels = dict[tuple[str, str], tuple[Decimal, str]]


# Les noms des champs du formulaire de demande, par prestation et par émetteur.
def nom_quantite(code: str) -> str:
    return f"quantite_{code}"


def nom_intervention(code: str) -> str:
    return f"intervention_{code}"


def nom_prix(emetteur: str, code: str) -> str:
    return f"prix_{emetteur}_{code}"


def nom_justification(emetteur: str, code: str) -> str:
    return f"justification_{emetteur}_{code}"


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
    # Rien ne fonde la catégorie : le moteur refusera en français toute ligne
    # qui en dépend.
    categorie = categorie_expliquee(collectivite, grille)[0] if collectivite else None
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


# --- L'aperçu en direct ---------------------------------------------------------


def chiffrage_affiche(form) -> calcul.Chiffrage | None:
    """Le chiffrage à montrer pour un ``DemandeDevisForm`` : celui de la
    validation pour un formulaire soumis, celui des valeurs initiales sinon
    (modification d'une demande)."""
    if form.is_bound:
        form.is_valid()
        return form.chiffrage
    lignes = form.lignes_brutes()
    if not lignes:
        return None
    prix: PrixManuels = {}
    for emetteur, code in form.cles_sur_devis:
        montant = form.initial.get(nom_prix(emetteur, code))
        if montant not in (None, ""):
            prix[(emetteur, code)] = (Decimal(str(montant)), "")
    try:
        return chiffrer_demande(
            grille=form.grille,
            collectivite=form.collectivite_brute(),
            lignes=lignes,
            prix_manuels=prix,
        )
    except calcul.ErreurChiffrage:
        return None


def apercu_du_chiffrage(form, noms: dict[str, str]) -> dict:
    """Ce que l'aperçu affiche : par émetteur, son nom, son chiffrage et, pour
    chaque ligne sur devis, ses champs de montant et de justification ; plus les
    champs de prix sans ligne (gardés cachés, rien ne se perd)."""
    chiffrage = chiffrage_affiche(form)
    affiches: set[tuple[str, str]] = set()
    blocs = []
    if chiffrage is not None:
        for devis in chiffrage.devis:
            lignes = []
            for ligne in devis.lignes:
                champs = None
                if ligne.mode == calcul.MODE_SUR_DEVIS:
                    champs = form.champs_prix(devis.emetteur, ligne.code)
                    if champs is not None:
                        affiches.add((devis.emetteur, ligne.code))
                lignes.append((ligne, champs))
            blocs.append(
                {
                    "emetteur": devis.emetteur,
                    "nom": noms.get(devis.emetteur, devis.emetteur),
                    "devis": devis,
                    "lignes": lignes,
                }
            )
    caches = []
    for cle in form.cles_sur_devis:
        if cle not in affiches:
            caches.extend(form.champs_prix(*cle))
    return {"chiffrage": chiffrage, "blocs": blocs, "champs_caches": caches}
