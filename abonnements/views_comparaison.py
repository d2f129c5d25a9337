"""Comparaison d'une grille à la grille en vigueur, pour les agents (back
office) : par collectivité abonnée et au total, par émetteur ; triable par
colonne, exportable en CSV et XLSX."""

from __future__ import annotations

from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from abonnements.comparaison import (
    COLONNES_TRI,
    comparer_grilles,
    lire_tri,
    trier,
)
from config.tableurs import format_demande, reponse_tableur
from conventions.access import agent_requis
from tarifs import calcul
from tarifs.enums import Emetteur
from tarifs.models import GrilleTarifaire
from tarifs.selectors import grille_differences


def _entetes(comparaison) -> list[str]:
    avant = comparaison.reference.reference if comparaison.reference else "aucune"
    apres = comparaison.grille.reference
    entetes = ["Collectivité", "Code INSEE", "SIRET"]
    for emetteur in calcul.EMETTEURS:
        nom = Emetteur(emetteur).label
        entetes += [
            f"{nom} — grille {avant} (€/an)",
            f"{nom} — grille {apres} (€/an)",
            f"{nom} — écart (€/an)",
        ]
    entetes += [
        f"Total — grille {avant} (€/an)",
        f"Total — grille {apres} (€/an)",
        "Total — écart (€/an)",
        "Remarques",
    ]
    return entetes


def _rangee(ligne) -> list:
    collectivite = ligne.collectivite
    rangee = [collectivite.nom, collectivite.code_insee, collectivite.siret]
    remarques = list(ligne.remarques)
    for emetteur in calcul.EMETTEURS:
        montants = ligne.par_emetteur[emetteur]
        rangee += [montants.avant.total, montants.apres.total, montants.ecart]
        if montants.apres.sur_devis or montants.avant.sur_devis:
            remarques.append(
                f"{Emetteur(emetteur).label} : une ligne sur devis n'est pas comptée"
            )
    rangee += [ligne.total_avant, ligne.total_apres, ligne.total_ecart]
    rangee.append(" ; ".join(remarques))
    return rangee


def _colonnes(colonne: str, decroissant: bool) -> dict[str, dict]:
    """Pour chaque colonne triable : le paramètre du lien d'en-tête (inverse
    le sens si c'est la colonne triée) et son ``aria-sort``."""
    colonnes = {}
    for cle in COLONNES_TRI:
        active = cle == colonne
        colonnes[cle] = {
            "tri": f"-{cle}" if active and not decroissant else cle,
            "aria_sort": (
                ("descending" if decroissant else "ascending") if active else ""
            ),
        }
    return colonnes


@agent_requis
@require_GET
def comparaison(request, grille_pk: int):
    """Ce que chaque collectivité abonnée paierait par an avec la grille
    ``grille_pk``, comparé à la grille qu'elle remplacerait."""
    grille = get_object_or_404(GrilleTarifaire, pk=grille_pk)
    resultat = comparer_grilles(grille=grille)
    colonne, decroissant = lire_tri(request.GET.get("tri"))
    lignes = trier(resultat.lignes, colonne, decroissant)
    export = format_demande(request)
    if export:
        return reponse_tableur(
            _entetes(resultat),
            [_rangee(ligne) for ligne in lignes],
            format=export,
            nom=f"comparaison-grille-{grille.pk}",
            titre="Comparaison des grilles",
        )
    tri = f"-{colonne}" if decroissant else colonne
    return render(
        request,
        "abonnements/gestion/comparaison.html",
        {
            "grille": grille,
            "comparaison": resultat,
            "lignes": lignes,
            "emetteurs": [
                {
                    "code": e,
                    "nom": Emetteur(e).label,
                    "avant": resultat.total(e, "avant"),
                    "apres": resultat.total(e, "apres"),
                    "ecart": resultat.ecart(e),
                }
                for e in calcul.EMETTEURS
            ],
            "colonnes": _colonnes(colonne, decroissant),
            "tri": tri,
            "ecarts": grille_differences(resultat.reference, grille),
        },
    )
