"""Les exports tableur (CSV et XLSX) de toutes les listes.

Une seule porte : :func:`reponse_tableur` reçoit des en-têtes et des lignes
(valeurs Python : texte, ``Decimal``, ``date``, ``None``) et rend la réponse
téléchargeable dans le format demandé. :func:`exporter` y mène une liste du
back office : ses :class:`Colonne` (en-tête, champs lus par ``values_list``,
conversion éventuelle) sur le queryset filtré, lu par paquets (``iterator``) :
20 000 lignes sans charger un seul objet modèle.

- **CSV** (``tablib``) : UTF-8 avec BOM, séparateur ``;``, décimales à la
  française (``1234,50``), dates ``JJ/MM/AAAA`` : le fichier s'ouvre juste dans
  un tableur réglé en français ;
- **XLSX** (``openpyxl`` en écriture continue : 20 000 lignes en quelques
  secondes, sans garder le classeur en mémoire) : nombres et dates gardés comme
  tels (une somme se fait dans la feuille), montants au format ``0,00``, dates
  ``JJ/MM/AAAA``, en-têtes en gras, première ligne figée.

Dans les deux formats, toute cellule de texte qui commence par ``=``, ``+``,
``-``, ``@``, une tabulation ou un retour chariot est neutralisée par une
apostrophe en tête (injection de formule, OWASP « CSV Injection »). Les
nombres ne le sont pas : ``-12,50`` reste un nombre.
"""

from __future__ import annotations

import datetime
import io
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from itertools import chain, islice

import tablib
from django.contrib import messages
from django.http import HttpResponse
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
DEBUTS_DANGEREUX = ("=", "+", "-", "@", "\t", "\r")
# Le message d'une liste dont un filtre est mal saisi : l'export reprend la
# liste filtrée, il ne part pas sur des filtres à moitié compris.
FILTRES_A_CORRIGER = (
    "Corrigez les filtres signalés avant d'exporter : l'export reprend exactement "
    "la liste filtrée."
)

FORMAT_MONTANT = "#,##0.00"
FORMAT_DATE = "DD/MM/YYYY"
FORMAT_DATE_HEURE = "DD/MM/YYYY HH:MM"
# Largeur des colonnes : estimée sur les premières lignes (en caractères).
LIGNES_POUR_LARGEUR = 200
LARGEUR_MAX = 60
_TITRE_INTERDIT = re.compile(r"[\[\]:*?/\\]")


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
        if timezone.is_aware(valeur):
            valeur = timezone.localtime(valeur)
        return valeur.strftime("%d/%m/%Y %H:%M")
    if isinstance(valeur, datetime.date):
        return valeur.strftime("%d/%m/%Y")
    return neutraliser(str(valeur))


def _cellule_xlsx(valeur):
    if valeur is None:
        return None
    if isinstance(valeur, bool):
        return "oui" if valeur else "non"
    if isinstance(valeur, Decimal | int | float):
        return valeur
    if isinstance(valeur, datetime.datetime):
        # Excel ne connaît pas les fuseaux : l'heure locale, sans fuseau.
        if timezone.is_aware(valeur):
            valeur = timezone.localtime(valeur)
        return valeur.replace(tzinfo=None)
    if isinstance(valeur, datetime.date):
        return valeur
    # Les caractères de contrôle sont refusés par le format : retirés d'abord,
    # puis le texte restant est neutralisé.
    return neutraliser(ILLEGAL_CHARACTERS_RE.sub("", str(valeur)))


def jeu_de_donnees(
    entetes: Sequence[str], lignes: Iterable[Sequence], format: str, titre: str = ""
) -> tablib.Dataset:
    """Le jeu ``tablib`` des cellules déjà converties pour ``format``."""
    cellule = _cellule_csv if format == "csv" else _cellule_xlsx
    jeu = tablib.Dataset(headers=[neutraliser(e) for e in entetes])
    jeu.title = _titre_feuille(titre)
    for ligne in lignes:
        jeu.append([cellule(v) for v in ligne])
    return jeu


def _titre_feuille(titre: str) -> str:
    """Un nom d'onglet admis par Excel : 31 caractères, sans ``[]:*?/\\``."""
    return (_TITRE_INTERDIT.sub(" ", titre or "").strip() or "Export")[:31]


def _largeur(valeur) -> int:
    if valeur is None:
        return 0
    if isinstance(valeur, datetime.datetime):
        return 16
    if isinstance(valeur, datetime.date):
        return 10
    if isinstance(valeur, Decimal | float):
        return len(f"{valeur:,.2f}")
    return max((len(morceau) for morceau in str(valeur).splitlines()), default=0)


def _xlsx(entetes: Sequence[str], lignes: Iterable[Sequence], titre: str) -> bytes:
    classeur = Workbook(write_only=True)
    feuille = classeur.create_sheet(_titre_feuille(titre))
    feuille.freeze_panes = "A2"
    entetes = [_cellule_xlsx(e) or "" for e in entetes]
    lignes = ([_cellule_xlsx(v) for v in ligne] for ligne in lignes)
    debut = list(islice(lignes, LIGNES_POUR_LARGEUR))
    for rang, entete in enumerate(entetes):
        largeur = max(
            [
                len(entete),
                *(_largeur(ligne[rang]) for ligne in debut if rang < len(ligne)),
            ]
        )
        feuille.column_dimensions[get_column_letter(rang + 1)].width = min(
            largeur + 2, LARGEUR_MAX
        )

    gras = Font(bold=True)

    def en_tete(texte):
        cellule = WriteOnlyCell(feuille, value=texte)
        cellule.font = gras
        return cellule

    def mise_en_forme(valeur):
        if isinstance(valeur, bool) or not isinstance(
            valeur, Decimal | float | datetime.date
        ):
            return valeur
        cellule = WriteOnlyCell(feuille, value=valeur)
        if isinstance(valeur, datetime.datetime):
            cellule.number_format = FORMAT_DATE_HEURE
        elif isinstance(valeur, datetime.date):
            cellule.number_format = FORMAT_DATE
        else:
            cellule.number_format = FORMAT_MONTANT
        return cellule

    feuille.append([en_tete(e) for e in entetes])
    for ligne in chain(debut, lignes):
        feuille.append([mise_en_forme(v) for v in ligne])
    tampon = io.BytesIO()
    classeur.save(tampon)
    return tampon.getvalue()


def contenu_tableur(
    entetes: Sequence[str], lignes: Iterable[Sequence], format: str, titre: str = ""
) -> bytes:
    """Les octets du fichier (``format`` : ``csv`` ou ``xlsx``)."""
    if format not in FORMATS:
        raise FormatInconnu(f"Format d'export inconnu : « {format} » (csv ou xlsx).")
    if format == "xlsx":
        return _xlsx(entetes, lignes, titre)
    jeu = jeu_de_donnees(entetes, lignes, format, titre)
    texte = jeu.export("csv", delimiter=";", lineterminator="\r\n")
    return ("\ufeff" + texte).encode("utf-8")


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


@dataclass(frozen=True)
class Colonne:
    """Une colonne d'export : son en-tête, le ou les champs lus (chemins
    ``values_list``, ``"collectivite__nom"``) et la conversion qui en fait la
    cellule (un libellé français, une date locale…), appelée avec les valeurs
    des champs dans l'ordre ; sans conversion, la valeur du champ telle quelle."""

    entete: str
    champs: str | tuple[str, ...]
    convertir: Callable | None = None

    @property
    def noms(self) -> tuple[str, ...]:
        return (self.champs,) if isinstance(self.champs, str) else self.champs


PAR_PAQUET = 2000  # lignes lues à la fois par un export (``iterator``)


def lignes_de(queryset, colonnes: Sequence[Colonne]) -> Iterator[list]:
    """Les lignes de l'export de ``queryset`` : une seule requête, lue par
    paquets, sans instancier de modèle."""
    champs: list[str] = []
    places = []
    for colonne in colonnes:
        debut = len(champs)
        champs.extend(colonne.noms)
        places.append((debut, len(champs), colonne.convertir))
    for valeurs in queryset.values_list(*champs).iterator(chunk_size=PAR_PAQUET):
        yield [
            convertir(*valeurs[debut:fin]) if convertir else valeurs[debut]
            for debut, fin, convertir in places
        ]


def exporter(
    queryset, colonnes: Sequence[Colonne], *, format: str, nom: str, titre: str = ""
) -> HttpResponse:
    """Le fichier de toutes les lignes de ``queryset`` (pas seulement la page)."""
    return reponse_tableur(
        [colonne.entete for colonne in colonnes],
        lignes_de(queryset, colonnes),
        format=format,
        nom=nom,
        titre=titre,
    )


def jour_local(valeur: datetime.datetime | None) -> datetime.date | None:
    """La date locale (Europe/Paris) d'un horodatage, pour une colonne « le »."""
    if valeur is None:
        return None
    return (
        timezone.localtime(valeur).date()
        if timezone.is_aware(valeur)
        else valeur.date()
    )


def libelles(choix) -> Callable:
    """La conversion code → libellé français d'un ``TextChoices`` (ou d'une
    liste de paires) ; un code inconnu reste tel quel."""
    table = dict(choix.choices if hasattr(choix, "choices") else choix)
    return lambda code: table.get(code, code)


def format_demande(request) -> str | None:
    """``?export=csv`` ou ``?export=xlsx`` dans la requête, sinon ``None``."""
    valeur = request.GET.get("export", "")
    return valeur if valeur in FORMATS else None


def export_demande(request, filtre) -> str | None:
    """Le format d'export demandé pour une liste filtrée par ``filtre`` (un
    ``FilterSet`` ou un formulaire), ou ``None`` : pas d'export demandé, ou des
    filtres mal saisis (un message le dit, la page s'affiche avec ses erreurs)."""
    format = format_demande(request)
    if format and not filtre.is_valid():
        messages.error(request, FILTRES_A_CORRIGER)
        return None
    return format


def requete_sans(request, *parametres: str) -> str:
    """La chaîne de requête de la page, sans ``parametres`` (``page``,
    ``export``…) : à reprendre dans les liens de pagination et d'export."""
    requete = request.GET.copy()
    for parametre in parametres:
        requete.pop(parametre, None)
    return requete.urlencode()
