"""Filtre des formulaires : ``{{ champ|controle:"form-control" }}`` rend un
champ avec ses classes Bootstrap, ``is-invalid`` et ``aria-describedby`` vers
ses erreurs (aucune requête)."""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def controle(champ, classes: str = ""):
    """Le widget d'un champ avec ``classes`` ; en erreur, ``is-invalid``,
    ``aria-invalid`` et ``aria-describedby`` vers le message d'erreur."""
    attrs = {"class": classes} if classes else {}
    decrit = []
    if champ.help_text:
        decrit.append(f"{champ.auto_id}_helptext")
    if champ.errors:
        attrs["class"] = f"{classes} is-invalid".strip()
        attrs["aria-invalid"] = "true"
        decrit.append(f"{champ.auto_id}_erreurs")
    if decrit:
        attrs["aria-describedby"] = " ".join(decrit)
    return champ.as_widget(attrs=attrs)
