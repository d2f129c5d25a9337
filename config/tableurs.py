"""Les exports tableur (CSV et XLSX) de toutes les listes, par ``tablib``.

Une seule porte : :func:`reponse_tableur` reçoit des en-têtes et des lignes
(valeurs Python : texte, ``Decimal``, ``date``, ``None``) et rend la réponse
téléchargeable dans le format demandé :

- **CSV** : UTF-8 avec BOM, séparateur ``;``, décimales à la française
  (``1234,50``), dates ``JJ/MM/AAAA`` : le fichier s'ouvre juste dans un tableur
  réglé en français ;
- **XLSX** : nombres et dates gardés comme tels (une somme se fait dans la
  feuille), en-têtes en gras (openpyxl, par tablib).

Dans les deux formats, toute cellule de texte qui commence par ``=``, ``+``,
``-``, ``@``, une tabulation ou un retour chariot est neutralisée par une
apostrophe en tête (injection de formule, OWASP « CSV Injection »). Les
nombres ne le sont pas : ``-12,50`` reste un nombre.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from decimal import Decimal

import tablib
from django.http import HttpResponse

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
DEBUTS_DANGEREUX = ("=", "+", "-", "@", "\t", "\r")


class FormatInconnu(ValueError):
    pass


def neutraliser(texte: str) -> str:
    """Une cellule de texte qui serait lue comme une formule, désamorcée."""
    if texte.startswith(DEBUTS_DANGEREUX):
        return "'" + texte
    return texte


def _cellule_csv(valeur) -> str:
    if valeur is None:
        return ""
    if isinstance(valeur, bool):
        return "oui" if valeur else "non"
    if isinstance(valeur, Decimal | float):
        return f"{valeur:.2f}".replace(".", ",")
    if isinstance(valeur, int):
        return str(valeur)
    if isinstance(valeur, datetime.datetime):
        return valeur.strftime("%d/%m/%Y %H:%M")
    if isinstance(valeur, datetime.date):
        return valeur.strftime("%d/%m/%Y")
    return neutraliser(str(valeur))


def _cellule_xlsx(valeur):
    if valeur is None:
        return ""
    if isinstance(valeur, bool):
        return "oui" if valeur else "non"
    if isinstance(valeur, Decimal | int | float):
        return valeur
    if isinstance(valeur, datetime.datetime):
        # Excel ne connaît pas les fuseaux : l'heure locale, sans fuseau.
        from django.utils import timezone

        if timezone.is_aware(valeur):
            valeur = timezone.localtime(valeur)
        return valeur.replace(tzinfo=None)
    if isinstance(valeur, datetime.date):
        return valeur
    return neutraliser(str(valeur))


def jeu_de_donnees(
    entetes: Sequence[str], lignes: Iterable[Sequence], format: str, titre: str = ""
) -> tablib.Dataset:
    cellule = _cellule_csv if format == "csv" else _cellule_xlsx
    jeu = tablib.Dataset(headers=[neutraliser(e) for e in entetes])
    jeu.title = (titre or "Export")[:31]
    for ligne in lignes:
        jeu.append([cellule(v) for v in ligne])
    return jeu


def contenu_tableur(
    entetes: Sequence[str], lignes: Iterable[Sequence], format: str, titre: str = ""
) -> bytes:
    """Les octets du fichier (``format`` : ``csv`` ou ``xlsx``)."""
    if format not in FORMATS:
        raise FormatInconnu(f"Format d'export inconnu : « {format} » (csv ou xlsx).")
    jeu = jeu_de_donnees(entetes, lignes, format, titre)
    if format == "csv":
        texte = jeu.export("csv", delimiter=";", lineterminator="\r\n")
        return ("\ufeff" + texte).encode("utf-8")
    return jeu.export("xlsx")


def reponse_tableur(
    entetes: Sequence[str],
    lignes: Iterable[Sequence],
    *,
    format: str,
    nom: str,
    titre: str = "",
) -> HttpResponse:
    """La réponse à télécharger ``nom.csv`` ou ``nom.xlsx``."""
    contenu = contenu_tableur(entetes, lignes, format, titre)
    reponse = HttpResponse(contenu, content_type=FORMATS[format])
    reponse["Content-Disposition"] = f'attachment; filename="{nom}.{format}"'
    return reponse


def format_demande(request) -> str | None:
    """``?export=csv`` ou ``?export=xlsx`` dans la requête, sinon ``None``."""
    valeur = request.GET.get("export", "")
    return valeur if valeur in FORMATS else None
