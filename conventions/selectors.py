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


def collectivite_categorie_connue(collectivite, grille: calcul.Grille) -> str | None:
    """Comme ``collectivite_categorie``, mais ``None`` quand rien ne la fonde
    (ni forçage, ni population, ni nombre d'agents) : le moteur refusera alors
    en français toute ligne qui dépend de la catégorie."""
    if (
        not collectivite.categorie_forcee
        and collectivite.population is None
        and collectivite.agents is None
    ):
        return None
    return collectivite_categorie(collectivite, grille)
