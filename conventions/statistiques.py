"""Chiffres du tableau de bord : conventions et collectivités sous convention.

Chaque figure est calculée par la base en **une seule requête groupée**
(``values`` + ``annotate``) ; Python ne fait que ranger les quelques groupes
obtenus (un par état, par catégorie ou par EPCI), jamais les lignes.

Une figure est un :class:`Graphique` : ses séries (dessinées par Chart.js, voir
``static/js/graphiques.js``), le tableau qui en est l'alternative textuelle et
les mêmes lignes pour le CSV (``config.tableurs``). Les figures des devis sont
dans ``devis/statistiques.py``, qui réutilise ces classes.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Case, CharField, Count, Exists, OuterRef, Q, Value, When

from conventions.formats import format_euros, format_nombre
from conventions.models import Collectivite, Convention
from tarifs import calcul

# Formats des colonnes d'un tableau (affichage ; le CSV garde les valeurs).
TEXTE = "texte"
EUROS = "euros"
NOMBRE = "nombre"
POURCENTAGE = "pourcentage"
JOURS = "jours"

# Unités des axes des graphiques (lues par graphiques.js).
UNITE_EUROS = "euros"
UNITE_NOMBRE = "nombre"
UNITE_POURCENTAGE = "pourcentage"

INCONNUE = "Inconnue"
HORS_EPCI = "Communes hors EPCI"
DIXIEME = Decimal("0.1")

MOIS_COURTS = (
    "janv.",
    "févr.",
    "mars",
    "avr.",
    "mai",
    "juin",
    "juil.",
    "août",
    "sept.",
    "oct.",
    "nov.",
    "déc.",
)


@dataclass(frozen=True)
class Serie:
    """Une série de valeurs, une par libellé de l'axe des catégories.

    ``pile`` regroupe des séries empilées (une pile par émetteur) ;
    ``couleur`` est l'indice d'une couleur de la palette de graphiques.js.
    """

    libelle: str
    valeurs: tuple
    couleur: int = 0
    pile: str = ""


@dataclass(frozen=True)
class Graphique:
    """Une figure du tableau de bord : graphique, tableau et CSV.

    ``entetes`` et ``lignes`` sont le tableau (alternative textuelle) et le CSV,
    avec des valeurs Python (texte, ``int``, ``Decimal``) ; ``formats`` dit
    comment afficher chaque colonne.
    """

    slug: str
    titre: str
    description: str
    libelles: tuple[str, ...]
    series: tuple[Serie, ...]
    entetes: tuple[str, ...]
    lignes: tuple[tuple, ...]
    formats: tuple[str, ...]
    unite: str = UNITE_NOMBRE
    horizontal: bool = False
    empile: bool = False
    # Chiffres clés affichés au-dessus du graphique : (libellé, valeur lisible).
    chiffres: tuple[tuple[str, str], ...] = field(default_factory=tuple)

    @property
    def vide(self) -> bool:
        return not self.lignes

    @property
    def id_donnees(self) -> str:
        return f"donnees-{self.slug}"

    def donnees_graphique(self) -> dict:
        """Ce que lit graphiques.js (par ``json_script``) : des nombres en
        texte pour les montants, sans passer par un flottant côté serveur."""
        return {
            "unite": self.unite,
            "horizontal": self.horizontal,
            "empile": self.empile,
            "libelles": list(self.libelles),
            "series": [
                {
                    "libelle": serie.libelle,
                    "valeurs": [_pour_json(v) for v in serie.valeurs],
                    "couleur": serie.couleur,
                    "pile": serie.pile,
                }
                for serie in self.series
            ],
        }

    def lignes_affichees(self) -> list[list[tuple[str, bool]]]:
        """Le tableau mis en forme : pour chaque cellule, son texte et s'il
        s'agit d'un nombre (aligné à droite)."""
        return [
            [
                (_afficher(valeur, format), format != TEXTE)
                for valeur, format in zip(ligne, self.formats, strict=True)
            ]
            for ligne in self.lignes
        ]


def _pour_json(valeur):
    return str(valeur) if isinstance(valeur, Decimal) else valeur


def _afficher(valeur, format: str) -> str:
    if valeur is None:
        return "—"
    if format == EUROS:
        return format_euros(valeur)
    if format == POURCENTAGE:
        return f"{format_nombre(valeur)}\u00a0%"
    if format == JOURS:
        return f"{format_nombre(valeur)}\u00a0j"
    if format == NOMBRE:
        return format_nombre(valeur)
    return str(valeur)


def part(nombre: int, total: int) -> Decimal | None:
    """``nombre`` sur ``total`` en pourcentage, au dixième (demi vers le haut) ;
    ``None`` quand le total est nul."""
    if not total:
        return None
    return (Decimal(nombre) * 100 / Decimal(total)).quantize(
        DIXIEME, rounding=ROUND_HALF_UP
    )


def mois_glissants(aujourdhui: datetime.date, nombre: int = 12) -> list[datetime.date]:
    """Le premier jour de chacun des ``nombre`` derniers mois, le mois
    d'``aujourdhui`` compris, du plus ancien au plus récent."""
    rang = aujourdhui.year * 12 + aujourdhui.month - 1
    return [
        datetime.date(r // 12, r % 12 + 1, 1)
        for r in range(rang - nombre + 1, rang + 1)
    ]


def libelle_mois_court(mois: datetime.date) -> str:
    return f"{MOIS_COURTS[mois.month - 1]} {mois.year}"


# --- Conventions par état --------------------------------------------------


def conventions_par_etat() -> Graphique:
    """Nombre de conventions dans chaque état (une requête groupée)."""
    nombres = dict(
        Convention.objects.values_list("statut").annotate(n=Count("pk")).order_by()
    )
    etats = Convention.Statut
    lignes = tuple((etat.label, nombres.get(etat.value, 0)) for etat in etats)
    return Graphique(
        slug="conventions-par-etat",
        titre="Conventions par état",
        description="Toutes les conventions enregistrées, selon leur état actuel.",
        libelles=tuple(etat.label for etat in etats),
        series=(Serie("Conventions", tuple(n for _, n in lignes), couleur=0),),
        entetes=("État", "Conventions"),
        lignes=lignes if any(n for _, n in lignes) else (),
        formats=(TEXTE, NOMBRE),
    )


# --- Collectivités sous convention signée ------------------------------------


def _q_sous_convention() -> Q:
    """La collectivité a une convention signée (en vigueur)."""
    return Q(
        Exists(
            Convention.objects.filter(
                collectivite=OuterRef("pk"), statut=Convention.Statut.SIGNEE
            )
        )
    )


def _entre(champ: str, minimum: int, maximum: int | None) -> Q:
    condition = Q(**{f"{champ}__gte": minimum})
    if maximum is not None:
        condition &= Q(**{f"{champ}__lte": maximum})
    return condition


def expression_categorie(grille: calcul.Grille | None) -> Case:
    """La catégorie d'une collectivité, calculée par la base.

    La catégorie n'est pas stockée : elle se déduit des champs enregistrés
    (``categorie_forcee``, ``population``, ``agents``) et des seuils de la
    grille, par la même règle que ``conventions.categories.categorie_de`` :
    le forçage motivé d'abord, puis la population totale, puis (population
    inconnue) le nombre d'agents. Rien ne la fonde → ``""`` (inconnue).
    """
    cas = [When(~Q(categorie_forcee=""), then="categorie_forcee")]
    seuils = grille.categories if grille else ()
    for seuil in seuils:
        cas.append(
            When(
                _entre("population", seuil.population_min, seuil.population_max),
                then=Value(seuil.code),
            )
        )
    for seuil in seuils:
        cas.append(
            When(
                Q(population__isnull=True)
                & _entre("agents", seuil.agents_min, seuil.agents_max),
                then=Value(seuil.code),
            )
        )
    return Case(*cas, default=Value(""), output_field=CharField())


def _graphique_de_part(
    *,
    slug: str,
    titre: str,
    description: str,
    groupe: str,
    groupes: list[tuple[str, int, int]],
    horizontal: bool,
) -> Graphique:
    lignes = tuple(
        (nom, total, sous, total - sous, part(sous, total))
        for nom, total, sous in groupes
    )
    return Graphique(
        slug=slug,
        titre=titre,
        description=description,
        libelles=tuple(ligne[0] for ligne in lignes),
        series=(
            Serie(
                "Part sous convention signée (%)",
                tuple(ligne[4] for ligne in lignes),
                couleur=4,
            ),
        ),
        entetes=(
            groupe,
            "Collectivités",
            "Sous convention signée",
            "Sans convention signée",
            "Part sous convention (%)",
        ),
        lignes=lignes,
        formats=(TEXTE, NOMBRE, NOMBRE, NOMBRE, POURCENTAGE),
        unite=UNITE_POURCENTAGE,
        horizontal=horizontal,
    )


def part_sous_convention_par_categorie(grille: calcul.Grille | None) -> Graphique:
    """Part des collectivités (tous types) sous convention signée, par
    catégorie (une requête groupée sur la catégorie calculée en base)."""
    groupes = {
        ligne["categorie"]: (ligne["total"], ligne["sous_convention"])
        for ligne in Collectivite.objects.annotate(
            categorie=expression_categorie(grille)
        )
        .values("categorie")
        .annotate(
            total=Count("pk"),
            sous_convention=Count("pk", filter=_q_sous_convention()),
        )
        .order_by()
    }
    ordre = list(grille.codes_categories) if grille else []
    ordre += sorted(code for code in groupes if code and code not in ordre)
    ordre.append("")
    description = (
        "Collectivités de chaque catégorie (tableau 2 de la grille en vigueur, "
        "ou catégorie forcée par un agent) ayant une convention signée."
    )
    if grille is None:
        description += (
            " Aucune grille n'est en vigueur : seules les catégories forcées "
            "sont connues."
        )
    return _graphique_de_part(
        slug="couverture-categories",
        titre="Collectivités sous convention signée, par catégorie",
        description=description,
        groupe="Catégorie",
        groupes=[
            (code or INCONNUE, *groupes[code]) for code in ordre if code in groupes
        ],
        horizontal=False,
    )


def part_sous_convention_par_epci() -> Graphique:
    """Part des communes sous convention signée, par EPCI de rattachement (une
    requête groupée) ; les communes sans EPCI forment un dernier groupe."""
    lignes = (
        Collectivite.objects.filter(type=Collectivite.Type.COMMUNE)
        .values("epci_id", "epci__nom")
        .annotate(
            total=Count("pk"),
            sous_convention=Count("pk", filter=_q_sous_convention()),
        )
        .order_by()
    )
    groupes = sorted(
        lignes, key=lambda g: (g["epci_id"] is None, g["epci__nom"] or "", g["epci_id"])
    )
    return _graphique_de_part(
        slug="couverture-epci",
        titre="Communes sous convention signée, par EPCI",
        description="Communes membres de chaque EPCI ayant une convention signée.",
        groupe="EPCI",
        groupes=[
            (g["epci__nom"] or HORS_EPCI, g["total"], g["sous_convention"])
            for g in groupes
        ],
        horizontal=True,
    )
