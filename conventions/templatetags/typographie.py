"""Typographie française des documents imprimés (PDF de convention, devis, facture).

Usage : ``{% load typographie %}`` puis ``{{ collectivite.nom|typo }}`` pour un
champ saisi, ou ``{% filter typo %} … {% endfilter %}`` autour d'un bloc de
gabarit (le corps d'un PDF).

Règles (Imprimerie nationale, *Lexique des règles typographiques*) :

- espace fine insécable U+202F avant « ; », « ? » et « ! » ;
- espace insécable U+00A0 avant « : » et à l'intérieur des guillemets « » ;
- apostrophe typographique « ’ » au lieu de l'apostrophe droite ;
- les espaces déjà saisies (ordinaires, insécables, fines) avant ces signes
  sont remplacées, jamais doublées.

La police Inter embarquée (sous-ensemble latin) n'a pas de glyphe U+202F :
WeasyPrint prend alors la police de repli déclarée par ``css/pdf.css``
(DejaVu Sans), sans effet visible pour une espace. Les montants (« 1 234,50 € »,
:mod:`conventions.formats`) gardent leur espace insécable U+00A0 : aucune règle
ne touche aux chiffres.

Sûreté : une valeur non marquée sûre est d'abord échappée (``conditional_escape``)
puis seuls des caractères sans rôle en HTML sont insérés ; ``mark_safe`` ne
s'applique qu'à ce résultat échappé. Dans un HTML déjà sûr (bloc ``{% filter %}``),
les balises et leurs attributs, les entités et les adresses (``http://``,
``https://``, ``www.``, courriels) ne sont jamais modifiés : seul le texte entre
les balises l'est. Le « : » d'une heure (« 10:30 ») ou le « ? » d'une adresse ne
sont pas suivis d'une espace : ils restent tels quels.
"""

from __future__ import annotations

import re

from django import template
from django.utils.html import conditional_escape
from django.utils.safestring import SafeData, mark_safe

register = template.Library()

ESPACE_INSECABLE = "\u00a0"
ESPACE_FINE_INSECABLE = "\u202f"
APOSTROPHE = "\u2019"

_ESPACES = " \u00a0\u202f\u2009"

# Jetons jamais modifiés : balises (avec leurs attributs), entités, adresses.
_JETONS_PROTEGES = re.compile(
    r"(<[^>]*>"
    r"|&#?[0-9A-Za-z]+;"
    r"|(?:https?|ftp)://[^\s<>\"]+"
    r"|www\.[^\s<>\"]+"
    r"|[\w.+-]+@[\w-]+(?:\.[\w-]+)+)"
)
_ENTITES_APOSTROPHE = ("&#x27;", "&#39;", "&#X27;", "&apos;")

# Signe double précédé d'éventuelles espaces, suivi d'une espace, d'une fin de
# texte ou d'un signe fermant (pas d'heure « 10:30 », pas de « ?page=2 »).
_PONCTUATION = re.compile(
    rf"[{_ESPACES}]*([;:!?][;:!?]*)(?=[\s»)\]]|$)",
)
_OUVRANT = re.compile(rf"«[{_ESPACES}]*")
_FERMANT = re.compile(rf"[{_ESPACES}]*»")


def _espace_avant(signe: str) -> str:
    return ESPACE_INSECABLE if signe == ":" else ESPACE_FINE_INSECABLE


def _texte(segment: str, *, visible_avant: bool, visible_apres: bool) -> str:
    """Applique les règles à un texte sans balise ni entité.

    ``visible_avant`` / ``visible_apres`` : du texte existe avant / après ce
    segment (hors balises), pour un signe placé en bordure du segment.
    """

    def ponctuation(m: re.Match) -> str:
        debut = m.start()
        avant = segment[debut - 1] if debut else ""
        if (debut == 0 and not visible_avant) or (avant and avant.isspace()):
            return m.group(0)
        return _espace_avant(m.group(1)[0]) + m.group(1)

    def ouvrant(m: re.Match) -> str:
        if m.end() == len(segment) and not visible_apres:
            return m.group(0)
        return "«" + ESPACE_INSECABLE

    def fermant(m: re.Match) -> str:
        if m.start() == 0 and not visible_avant:
            return m.group(0)
        return ESPACE_INSECABLE + "»"

    segment = segment.replace("'", APOSTROPHE)
    segment = _PONCTUATION.sub(ponctuation, segment)
    segment = _OUVRANT.sub(ouvrant, segment)
    return _FERMANT.sub(fermant, segment)


def typographier_html(html: str) -> str:
    """Les règles appliquées au texte d'un HTML (balises, entités, adresses
    intactes)."""
    html = html.replace("&nbsp;", ESPACE_INSECABLE)
    morceaux = _JETONS_PROTEGES.split(html)
    # Indices impairs : jetons protégés ; une balise ne compte pas comme du texte.
    visibles = [
        (i % 2 == 0 and m.strip(_ESPACES + "\n\t\r") != "")
        or (i % 2 == 1 and not m.startswith("<"))
        for i, m in enumerate(morceaux)
    ]
    avant = [False] * len(morceaux)
    for i in range(1, len(morceaux)):
        avant[i] = avant[i - 1] or visibles[i - 1]
    apres = [False] * len(morceaux)
    for i in range(len(morceaux) - 2, -1, -1):
        apres[i] = apres[i + 1] or visibles[i + 1]
    resultat = []
    for i, morceau in enumerate(morceaux):
        if i % 2 == 1 or not morceau:
            resultat.append(APOSTROPHE if morceau in _ENTITES_APOSTROPHE else morceau)
            continue
        resultat.append(
            _texte(
                morceau,
                visible_avant=avant[i],
                visible_apres=apres[i],
            )
        )
    return "".join(resultat)


@register.filter(is_safe=True)
def typo(value):
    """Typographie française d'un texte ou d'un bloc HTML ; ``None`` -> « »."""
    if value is None:
        return ""
    if not isinstance(value, SafeData):
        value = conditional_escape(str(value))
    return mark_safe(typographier_html(str(value)))
