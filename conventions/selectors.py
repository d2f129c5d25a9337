"""Lectures sur les collectivités."""

from __future__ import annotations

from tarifs import calcul


def collectivite_categorie(collectivite, grille: calcul.Grille) -> str:
    """Catégorie retenue : le forçage motivé d'un agent, sinon la règle de la grille.

    Lève ``calcul.ErreurChiffrage`` si ni la population ni le nombre d'agents
    ne sont connus.
    """
    if collectivite.categorie_forcee:
        return collectivite.categorie_forcee
    return calcul.categorie_pour(
        grille, population=collectivite.population, agents=collectivite.agents
    )
