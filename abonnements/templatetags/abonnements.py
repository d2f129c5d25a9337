from django import template

register = template.Library()

LIBELLES = {
    "cree": "Créée",
    "inchange": "Inchangée",
    "ignore": "Ignorée",
    "echec": "En échec",
}


@register.filter
def libelle_resultat(code: str) -> str:
    return LIBELLES.get(code, code)


@register.filter
def compte_resultat(campagne, resultat: str) -> int:
    return campagne.compte(resultat)
