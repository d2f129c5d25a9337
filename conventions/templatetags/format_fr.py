"""Filtres de gabarit pour l'affichage « à la française ».

Usage : ``{% load format_fr %}`` puis ``{{ devis.total_ttc|euros }}``,
``{{ collectivite.population|nombre_fr }}``, ``{{ convention.date_effet|date_fr }}``.

La logique est dans :mod:`conventions.formats` (réutilisée pour les PDF). Comme
le veut Django, un filtre n'échoue jamais : une valeur illisible est rendue
telle quelle.
"""

from __future__ import annotations

from decimal import InvalidOperation

from django import template

from conventions.formats import format_date, format_euros, format_nombre

register = template.Library()

_ERREURS = (TypeError, ValueError, InvalidOperation)


@register.filter(is_safe=True)
def euros(value):
    """« 1 234,56 € » ; ``None`` -> « — »."""
    try:
        return format_euros(value)
    except _ERREURS:
        return value


@register.filter(is_safe=True)
def nombre_fr(value):
    """« 12 345 » ; ``None`` -> « — »."""
    try:
        return format_nombre(value)
    except _ERREURS:
        return value


@register.filter(is_safe=True)
def date_fr(value):
    """« 26 mars 2024 » ; ``None`` -> « — »."""
    try:
        return format_date(value)
    except _ERREURS:
        return value
