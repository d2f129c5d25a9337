"""Chiffres du tableau de bord : devis (montants acceptés, états, réponses).

Chaque figure est calculée par la base en **une seule requête groupée**
(``TruncMonth``, ``Count(filter=…)``, ``Sum``) ; Python ne fait que ranger les
quelques groupes obtenus (au plus un par mois et par émetteur), jamais les
devis eux-mêmes. Les figures sont des ``conventions.statistiques.Graphique``.

« Les 12 derniers mois » : les douze mois civils qui finissent par le mois en
cours (du 1er du mois, onze mois plus tôt, à aujourd'hui), à l'heure de Paris.
"""

from __future__ import annotations

import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import (
    Case,
    CharField,
    Count,
    DateField,
    DurationField,
    ExpressionWrapper,
    F,
    Q,
    Sum,
    Value,
    When,
)
from django.db.models.functions import TruncDate, TruncMonth
from django.utils import timezone

from conventions.formats import format_nombre
from conventions.statistiques import (
    DIXIEME,
    EUROS,
    JOURS,
    NOMBRE,
    POURCENTAGE,
    TEXTE,
    UNITE_EUROS,
    UNITE_POURCENTAGE,
    Graphique,
    Serie,
    libelle_mois_court,
    mois_glissants,
    part,
)
from devis.models import Devis
from devis.selectors import q_perimes
from tarifs.enums import Emetteur

ZERO = Decimal("0.00")
UN_JOUR = Decimal(86400)
# Couleurs (indices de la palette de graphiques.js) : La Fibre en bleus, le
# CDG en orangés, la teinte foncée pour l'unique, la claire pour l'annuel.
COULEURS = {
    Emetteur.FIBRE: (0, 1),
    Emetteur.CDG: (2, 3),
}


def _periode(
    aujourdhui: datetime.date | None,
) -> tuple[list[datetime.date], datetime.datetime, datetime.datetime]:
    """Les 12 mois glissants et les bornes (instants, heure locale) de la
    période : du 1er du premier mois au 1er du mois suivant le mois en cours."""
    aujourdhui = aujourdhui or timezone.localdate()
    mois = mois_glissants(aujourdhui)
    suivant = datetime.date(
        aujourdhui.year + aujourdhui.month // 12, aujourdhui.month % 12 + 1, 1
    )
    debut, fin = (
        timezone.make_aware(datetime.datetime.combine(jour, datetime.time.min))
        for jour in (mois[0], suivant)
    )
    return mois, debut, fin


def _emetteurs() -> list[tuple[str, str]]:
    """Les émetteurs et leur nom court (« La Fibre Numérique 59-62 », « CDG
    62 ») : lisible sur un graphique, et sans requête de plus."""
    return list(Emetteur.choices)


# --- Montants acceptés par émetteur et par mois -------------------------------


def montants_acceptes_par_mois(aujourdhui: datetime.date | None = None) -> Graphique:
    """Montants TTC des devis acceptés (toujours acceptés : un devis annulé
    après son acceptation ne compte plus), par mois d'acceptation et par
    émetteur, unique et annuel séparés, sur les 12 derniers mois."""
    mois, debut, fin = _periode(aujourdhui)
    sommes = {
        (ligne["mois"], ligne["emetteur__code"]): (ligne["unique"], ligne["annuel"])
        for ligne in Devis.objects.filter(
            statut=Devis.Statut.ACCEPTE, accepte_le__gte=debut, accepte_le__lt=fin
        )
        .annotate(mois=TruncMonth("accepte_le", output_field=DateField()))
        .values("mois", "emetteur__code")
        .annotate(unique=Sum("total_unique"), annuel=Sum("total_annuel"))
        .order_by()
    }
    emetteurs = _emetteurs()
    colonnes = [
        (code, indice, periodicite)
        for code, _ in emetteurs
        for indice, periodicite in enumerate(("unique", "annuel"))
    ]

    def montant(m, code, indice) -> Decimal:
        return sommes.get((m, code), (ZERO, ZERO))[indice] or ZERO

    lignes = []
    for m in mois:
        valeurs = [montant(m, code, indice) for code, indice, _ in colonnes]
        lignes.append((libelle_mois_court(m), *valeurs, sum(valeurs, ZERO)))
    noms = dict(emetteurs)
    return Graphique(
        slug="montants-acceptes",
        titre="Montants acceptés par mois et par émetteur",
        description=(
            "Totaux TTC des devis acceptés au cours des 12 derniers mois, par mois "
            "d'acceptation : montants uniques (mises en service, clés) et annuels "
            "(abonnements), pour chaque émetteur."
        ),
        libelles=tuple(libelle_mois_court(m) for m in mois),
        series=tuple(
            Serie(
                f"{noms[code]} — {periodicite}",
                tuple(montant(m, code, indice) for m in mois),
                couleur=COULEURS.get(code, (0, 1))[indice],
                pile=code,
            )
            for code, indice, periodicite in colonnes
        ),
        entetes=(
            "Mois",
            *(
                f"{noms[code]} — {periodicite} (€ TTC)"
                for code, _, periodicite in colonnes
            ),
            "Total (€ TTC)",
        ),
        lignes=tuple(lignes) if sommes else (),
        formats=(TEXTE, *(EUROS for _ in colonnes), EUROS),
        unite=UNITE_EUROS,
        empile=True,
    )


# --- Devis par état ------------------------------------------------------------


def expression_etat(aujourdhui: datetime.date) -> Case:
    """L'état affiché d'un devis : « expiré » dès sa validité passée, sans
    attendre la commande quotidienne qui l'enregistre (``q_perimes``)."""
    return Case(
        When(q_perimes(aujourdhui), then=Value(Devis.Statut.EXPIRE.value)),
        default=F("statut"),
        output_field=CharField(),
    )


def devis_par_etat(aujourdhui: datetime.date | None = None) -> Graphique:
    """Nombre de devis dans chaque état (affiché), par émetteur (une requête)."""
    aujourdhui = aujourdhui or timezone.localdate()
    nombres = {
        (ligne["etat"], ligne["emetteur__code"]): ligne["n"]
        for ligne in Devis.objects.annotate(etat=expression_etat(aujourdhui))
        .values("etat", "emetteur__code")
        .annotate(n=Count("pk"))
        .order_by()
    }
    emetteurs = _emetteurs()
    etats = Devis.Statut
    lignes = tuple(
        (
            etat.label,
            *(nombres.get((etat.value, code), 0) for code, _ in emetteurs),
            sum(nombres.get((etat.value, code), 0) for code, _ in emetteurs),
        )
        for etat in etats
    )
    return Graphique(
        slug="devis-par-etat",
        titre="Devis par état",
        description=(
            "Tous les devis, brouillons compris, selon leur état affiché (un devis "
            "émis dont la validité est passée compte comme expiré)."
        ),
        libelles=tuple(etat.label for etat in etats),
        series=tuple(
            Serie(
                nom,
                tuple(nombres.get((etat.value, code), 0) for etat in etats),
                couleur=COULEURS.get(code, (0, 1))[0],
                pile="devis",
            )
            for code, nom in emetteurs
        ),
        entetes=("État", *(nom for _, nom in emetteurs), "Total"),
        lignes=lignes if nombres else (),
        formats=(TEXTE, *(NOMBRE for _ in emetteurs), NOMBRE),
        empile=True,
    )


# --- Taux d'acceptation et délai ----------------------------------------------


def _delai_moyen(
    delai_total: datetime.timedelta | None, acceptes: int
) -> Decimal | None:
    """Délai moyen en jours, au dixième ; ``None`` sans acceptation."""
    if not acceptes or delai_total is None:
        return None
    jours = Decimal(str(delai_total.total_seconds())) / UN_JOUR
    return (jours / acceptes).quantize(DIXIEME, rounding=ROUND_HALF_UP)


def _jours_lisibles(jours: Decimal | None) -> str:
    """« 9 jours », « 1,5 jour » (singulier sous 2, comme on l'écrit)."""
    if jours is None:
        return "—"
    return f"{format_nombre(jours)}\u00a0{'jours' if jours >= 2 else 'jour'}"


def taux_d_acceptation(aujourdhui: datetime.date | None = None) -> Graphique:
    """Taux d'acceptation et délai moyen d'acceptation, par émetteur et pour
    l'ensemble, sur les devis qui ont reçu une réponse au cours des 12 derniers
    mois (une requête groupée).

    - Réponse : une acceptation ou un refus daté de la période (``accepte_le``,
      ``refuse_le``) ; un devis annulé ou remplacé depuis compte pour la réponse
      qu'il avait reçue. Les devis expirés sans réponse n'en font pas partie.
    - Taux : acceptés ÷ (acceptés + refusés).
    - Délai : de la date d'émission au jour de l'acceptation (heure de Paris),
      en jours, moyenne sur les devis acceptés.
    """
    _, debut, fin = _periode(aujourdhui)
    accepte = Q(accepte_le__gte=debut, accepte_le__lt=fin)
    refuse = Q(refuse_le__gte=debut, refuse_le__lt=fin)
    delai = ExpressionWrapper(
        TruncDate("accepte_le") - F("date_emission"), output_field=DurationField()
    )
    groupes = {
        ligne["emetteur__code"]: ligne
        for ligne in Devis.objects.filter(accepte | refuse)
        .values("emetteur__code")
        .annotate(
            acceptes=Count("pk", filter=accepte),
            refuses=Count("pk", filter=refuse),
            delai_total=Sum(delai, filter=accepte),
        )
        .order_by()
    }
    lignes = []
    total = {"acceptes": 0, "refuses": 0, "delai_total": datetime.timedelta(0)}
    for code, nom in _emetteurs():
        groupe = groupes.get(code, {})
        acceptes, refuses = groupe.get("acceptes", 0), groupe.get("refuses", 0)
        delai_total = groupe.get("delai_total")
        total["acceptes"] += acceptes
        total["refuses"] += refuses
        total["delai_total"] += delai_total or datetime.timedelta(0)
        lignes.append(
            (
                nom,
                acceptes,
                refuses,
                part(acceptes, acceptes + refuses),
                _delai_moyen(delai_total, acceptes),
            )
        )
    ensemble = (
        "Ensemble",
        total["acceptes"],
        total["refuses"],
        part(total["acceptes"], total["acceptes"] + total["refuses"]),
        _delai_moyen(total["delai_total"], total["acceptes"]),
    )
    lignes.append(ensemble)
    _, _, _, taux, delai_moyen = ensemble
    return Graphique(
        slug="taux-acceptation",
        titre="Taux d'acceptation et délai d'acceptation",
        description=(
            "Devis acceptés ou refusés au cours des 12 derniers mois. Taux : "
            "acceptés sur réponses ; délai : de l'émission à l'acceptation, en jours."
        ),
        libelles=tuple(ligne[0] for ligne in lignes),
        series=(
            Serie(
                "Taux d'acceptation (%)",
                tuple(ligne[3] for ligne in lignes),
                couleur=4,
            ),
        ),
        entetes=(
            "Émetteur",
            "Acceptés",
            "Refusés",
            "Taux d'acceptation (%)",
            "Délai moyen d'acceptation (jours)",
        ),
        lignes=tuple(lignes) if groupes else (),
        formats=(TEXTE, NOMBRE, NOMBRE, POURCENTAGE, JOURS),
        unite=UNITE_POURCENTAGE,
        chiffres=(
            (
                "Taux d'acceptation",
                "—" if taux is None else f"{format_nombre(taux)}\u00a0%",
            ),
            (
                "Délai moyen d'acceptation",
                _jours_lisibles(delai_moyen),
            ),
            ("Réponses reçues", format_nombre(total["acceptes"] + total["refuses"])),
        ),
    )
