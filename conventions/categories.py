"""Catégorie d'une collectivité (tableau 2 de la grille) : explication et filtre.

Règles (domaine §4) : une commune ou un EPCI est classé par sa population
totale, un établissement sans population par son nombre d'agents ; si les deux
sont connus, la population l'emporte. Un agent du CDG peut forcer la catégorie
en donnant un motif écrit : le forçage prime alors sur la règle.

Rien n'est stocké : la catégorie se recalcule à partir des seuils de la grille
(instantané ``tarifs.calcul.Grille`` pour l'affichage, requête sur les seuils
pour le filtre de la liste).
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from conventions.formats import format_date, format_nombre
from tarifs import calcul

INCONNUE = "Inconnue : ni population ni nombre d'agents"
SANS_GRILLE = "Aucune grille tarifaire n'est en vigueur aujourd'hui."


def _pluriel(nombre: int, singulier: str, pluriel: str) -> str:
    return f"{format_nombre(nombre)} {singulier if nombre <= 1 else pluriel}"


def _intervalle(minimum: int, maximum: int | None, unite: str) -> str:
    """« entre 1 001 et 2 000 habitants », « au plus 1 000 habitants »…"""
    if maximum is None:
        return f"à partir de {format_nombre(minimum)} {unite}"
    if minimum <= 0:
        return f"au plus {format_nombre(maximum)} {unite}"
    return f"entre {format_nombre(minimum)} et {format_nombre(maximum)} {unite}"


def _seuils(grille: calcul.Grille, code: str) -> calcul.SeuilsCategorie | None:
    return next((s for s in grille.categories if s.code == code), None)


def categorie_de(collectivite, grille: calcul.Grille) -> str:
    """La règle : le forçage motivé d'un agent, sinon la population totale, sinon
    le nombre d'agents, selon les seuils de ``grille``.

    Lève ``calcul.ErreurChiffrage`` (message en français) si rien ne la fonde.
    """
    if collectivite.categorie_forcee:
        return collectivite.categorie_forcee
    return calcul.categorie_pour(
        grille, population=collectivite.population, agents=collectivite.agents
    )


def categorie_expliquee(
    collectivite, grille: calcul.Grille | None
) -> tuple[str | None, str]:
    """Catégorie retenue (:func:`categorie_de`) et sa raison, en français ;
    ``None`` quand rien ne la fonde ou sans grille en vigueur.

    Exemples : ``("B", "B — population totale de 1 500 habitants (2021), entre
    1 001 et 2 000 habitants")``, ``("D", "D — forcée par un agent : …")``,
    ``(None, "Inconnue : ni population ni nombre d'agents")``.
    """
    if grille is None and not collectivite.categorie_forcee:
        return None, SANS_GRILLE
    if collectivite.categorie_forcee:
        return (
            collectivite.categorie_forcee,
            f"{collectivite.categorie_forcee} — forcée par un agent : "
            f"{collectivite.categorie_forcee_motif}",
        )
    try:
        code = categorie_de(collectivite, grille)
    except calcul.ErreurChiffrage as erreur:
        if collectivite.population is None and collectivite.agents is None:
            return None, INCONNUE
        return None, "Inconnue : " + " ".join(erreur.erreurs)
    seuils = _seuils(grille, code)
    if collectivite.population is not None:
        annee = (
            f" ({collectivite.population_annee})"
            if collectivite.population_annee
            else ""
        )
        fait = (
            "population totale de "
            + _pluriel(collectivite.population, "habitant", "habitants")
            + annee
        )
        borne = _intervalle(seuils.population_min, seuils.population_max, "habitants")
    else:
        au = (
            f" au {format_date(collectivite.agents_date)}"
            if collectivite.agents_date
            else ""
        )
        fait = _pluriel(collectivite.agents, "agent", "agents") + au
        borne = _intervalle(seuils.agents_min, seuils.agents_max, "agents")
    return code, f"{code} — {fait}, {borne}"


def _entre(champ: str, minimum: int, maximum: int | None) -> Q:
    condition = Q(**{f"{champ}__gte": minimum})
    if maximum is not None:
        condition &= Q(**{f"{champ}__lte": maximum})
    return condition


def filtrer_par_categorie(
    collectivites: QuerySet, code: str, grille: calcul.Grille
) -> QuerySet:
    """Les collectivités de la catégorie ``code`` selon les seuils de ``grille``.

    Même règle que :func:`categorie_expliquee`, traduite en une condition SQL :
    forçage égal au code ; sinon population dans l'intervalle ; sinon (population
    inconnue) nombre d'agents dans l'intervalle.
    """
    seuils = _seuils(grille, code)
    if seuils is None:
        return collectivites.none()
    par_regle = _entre("population", seuils.population_min, seuils.population_max)
    par_regle |= Q(population__isnull=True) & _entre(
        "agents", seuils.agents_min, seuils.agents_max
    )
    return collectivites.filter(
        Q(categorie_forcee=code) | (Q(categorie_forcee="") & par_regle)
    )
