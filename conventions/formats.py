"""Mise en forme « à la française » des montants, nombres et dates.

Fonctions pures, sans dépendance aux réglages de langue (``LANGUAGE_CODE``,
``USE_THOUSAND_SEPARATOR``, locale système) : elles servent aux gabarits
(filtres ``euros``, ``nombre_fr`` et ``date_fr`` de ``format_fr``) comme à la
génération des PDF.

Conventions :

- séparateur de milliers : espace insécable U+00A0 (l'espace fine insécable
  U+202F est absente du sous-ensemble latin de la police Inter embarquée) ;
- virgule décimale ; espace insécable avant « € » ;
- montants arrondis au centime, au plus proche, la moitié vers le haut en
  valeur absolue (``tarifs.calcul.arrondi_centime``, la seule règle d'arrondi) ;
  aucun calcul en virgule flottante ;
- valeur absente (``None`` ou chaîne vide) : tiret cadratin « — ».
"""

from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation, localcontext

from django.utils import timezone

from tarifs.calcul import arrondi_centime

ESPACE_INSECABLE = "\u00a0"
VALEUR_ABSENTE = "\u2014"  # « — »

MOIS = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)

__all__ = [
    "ESPACE_INSECABLE",
    "VALEUR_ABSENTE",
    "en_decimal",
    "format_date",
    "format_euros",
    "format_nombre",
]


def en_decimal(value: object) -> Decimal:
    """Convertit ``value`` en ``Decimal`` fini, sans passer par un flottant.

    Accepte ``Decimal``, ``int`` et ``str`` (« 1234.56 », « 1234,56 », espaces
    ignorés). Un ``float`` est converti par sa représentation décimale la plus
    courte (``str(0.1) == "0.1"``), jamais par sa valeur binaire.

    :raises TypeError: type non pris en charge (dont ``bool``).
    :raises ValueError: chaîne illisible, NaN ou infini.
    """
    if isinstance(value, bool):
        raise TypeError("un booléen n'est pas un montant")
    if isinstance(value, Decimal):
        nombre = value
    elif isinstance(value, int):
        nombre = Decimal(value)
    elif isinstance(value, float):
        nombre = Decimal(str(value))
    elif isinstance(value, str):
        texte = "".join(value.split())  # retire espaces, U+00A0, U+202F…
        if "," in texte:
            if "." in texte:
                raise ValueError(f"nombre ambigu : {value!r}")
            texte = texte.replace(",", ".")
        try:
            nombre = Decimal(texte)
        except InvalidOperation as exc:
            raise ValueError(f"nombre illisible : {value!r}") from exc
    else:
        raise TypeError(f"type non pris en charge : {type(value).__name__}")
    if not nombre.is_finite():
        raise ValueError(f"nombre non fini : {value!r}")
    return nombre


def _grouper(chiffres: str) -> str:
    """« 1234567 » -> « 1 234 567 » (espaces insécables)."""
    groupes = []
    while len(chiffres) > 3:
        groupes.append(chiffres[-3:])
        chiffres = chiffres[:-3]
    groupes.append(chiffres)
    return ESPACE_INSECABLE.join(reversed(groupes))


def _composer(nombre: Decimal) -> str:
    """Écrit ``nombre`` (déjà arrondi) : signe « - », milliers, virgule."""
    texte = f"{nombre.copy_abs():f}"
    entier, _, decimales = texte.partition(".")
    signe = "-" if nombre < 0 else ""
    resultat = signe + _grouper(entier)
    if decimales:
        resultat += "," + decimales
    return resultat


def format_euros(value: object) -> str:
    """Montant en euros : ``Decimal("1234.56")`` -> « 1 234,56 € ».

    Toujours deux décimales, arrondi ``ROUND_HALF_UP`` ; ``None`` ou « » -> « — ».
    Exemple négatif : ``Decimal("-12.5")`` -> « -12,50 € ».
    """
    if value is None or value == "":
        return VALEUR_ABSENTE
    montant = arrondi_centime(en_decimal(value))
    return _composer(montant) + ESPACE_INSECABLE + "€"


def format_nombre(value: object) -> str:
    """Nombre avec séparateur de milliers : ``12345`` -> « 12 345 ».

    Les entiers (et décimaux entiers comme ``Decimal("12.00")``) s'écrivent sans
    décimales ; une partie décimale significative est conservée avec une
    virgule (``Decimal("2.50")`` -> « 2,5 »). ``None`` ou « » -> « — ».
    """
    if value is None or value == "":
        return VALEUR_ABSENTE
    nombre = en_decimal(value)
    if nombre == nombre.to_integral_value():
        return _composer(nombre.to_integral_value())
    with localcontext() as ctx:
        ctx.prec = max(28, len(nombre.as_tuple().digits))
        return _composer(nombre.normalize())


def format_date(value: object) -> str:
    """Date en toutes lettres : ``date(2024, 3, 26)`` -> « 26 mars 2024 ».

    Le premier du mois s'écrit « 1er » (« 1er avril 2024 »). Un ``datetime``
    conscient du fuseau est d'abord converti dans le fuseau courant
    (``timezone.localtime``) ; un ``datetime`` naïf est pris tel quel. Une
    chaîne ISO (« 2024-03-26 ») est acceptée. ``None`` ou « » -> « — ».

    :raises TypeError: type non pris en charge.
    :raises ValueError: chaîne non ISO.
    """
    if value is None or value == "":
        return VALEUR_ABSENTE
    if isinstance(value, datetime.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        jour = value.date()
    elif isinstance(value, datetime.date):
        jour = value
    elif isinstance(value, str):
        jour = datetime.date.fromisoformat(value.strip())
    else:
        raise TypeError(f"type non pris en charge : {type(value).__name__}")
    quantieme = "1er" if jour.day == 1 else str(jour.day)
    return f"{quantieme} {MOIS[jour.month - 1]} {jour.year}"
