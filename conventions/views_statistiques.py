"""Chiffres et graphiques du tableau de bord du back office (``/gestion/``).

Les figures sont calculées par ``devis.statistiques`` et
``conventions.statistiques`` (une requête groupée chacune) ; la page les
dessine (Chart.js, ``static/js/graphiques.js``) avec un tableau pour chacune,
et chaque figure se télécharge en CSV à
``/gestion/tableau-de-bord/<graphique>.csv``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.core.cache import cache
from django.http import Http404
from django.utils import timezone

from config.tableurs import reponse_tableur
from conventions import statistiques
from conventions.access import agent_requis
from conventions.statistiques import Graphique
from devis import statistiques as devis_statistiques
from tarifs.selectors import grille_en_vigueur, grille_instantane


def _couverture_par_categorie() -> Graphique:
    grille = grille_en_vigueur()
    return statistiques.part_sous_convention_par_categorie(
        grille_instantane(grille) if grille else None
    )


# Dans l'ordre de la page ; la clé est le nom du graphique dans l'adresse du CSV.
GRAPHIQUES: dict[str, Callable[[], Graphique]] = {
    "montants-acceptes": devis_statistiques.montants_acceptes_par_mois,
    "devis-par-etat": devis_statistiques.devis_par_etat,
    "taux-acceptation": devis_statistiques.taux_d_acceptation,
    "conventions-par-etat": statistiques.conventions_par_etat,
    "couverture-categories": _couverture_par_categorie,
    "couverture-epci": statistiques.part_sous_convention_par_epci,
}


journal = logging.getLogger(__name__)

# Les figures portent sur des mois et des effectifs : calculées au plus une fois
# toutes les cinq minutes (cache de Django), elles ne coûtent plus six agrégats
# sur les tables entières à chaque visite du tableau de bord, quelle que soit la
# taille des tables. Les listes « à traiter » du tableau de bord, elles, restent
# lues à chaque visite.
DUREE_CACHE = 300


def _calculer() -> list[Graphique]:
    return [fabrique() for fabrique in GRAPHIQUES.values()]


def graphiques_du_tableau_de_bord() -> list[Graphique]:
    """Toutes les figures du tableau de bord, dans l'ordre de la page (gardées
    cinq minutes en cache ; calculées sur-le-champ si le cache est en panne)."""
    cle = f"tableau-de-bord:graphiques:{timezone.localdate():%Y-%m-%d}"
    try:
        return cache.get_or_set(cle, _calculer, DUREE_CACHE)
    except Exception:  # Redis arrêté : la page se calcule sans lui
        journal.warning("Cache indisponible : figures du tableau de bord calculées")
        return _calculer()


@agent_requis
def graphique_csv(request, graphique: str):
    """Les données d'une figure du tableau de bord, en CSV (mêmes lignes que
    le tableau affiché sous le graphique)."""
    fabrique = GRAPHIQUES.get(graphique)
    if fabrique is None:
        raise Http404("Ce graphique n'existe pas.")
    figure = fabrique()
    return reponse_tableur(
        figure.entetes,
        figure.lignes,
        format="csv",
        nom=f"tableau-de-bord-{figure.slug}-{timezone.localdate():%Y-%m-%d}",
        titre=figure.titre,
    )
