"""Les chiffres et graphiques du tableau de bord du back office.

Chaque figure (une requête groupée) vaut ce que l'on recompte autrement : en
Python, devis par devis et collectivité par collectivité, sur des devis émis,
acceptés, refusés et annulés par les vrais services à des dates choisies. La
page montre chaque graphique avec son tableau ; le CSV reprend les mêmes
nombres ; seuls les agents du CDG y accèdent.
"""

from __future__ import annotations

import contextlib
import csv
import datetime
import io
import json
import re
import zoneinfo
from collections import Counter, defaultdict
from decimal import ROUND_HALF_UP, Decimal
from types import SimpleNamespace
from unittest import mock

import pytest
from django.utils import timezone
from django.utils.html import escape

from conventions import statistiques
from conventions.categories import categorie_expliquee
from conventions.models import Collectivite, Convention
from devis import services as devis_services
from devis import statistiques as devis_statistiques
from devis.models import Devis
from tarifs.calcul import LigneDemandee
from tarifs.enums import Emetteur
from tarifs.selectors import grille_instantane
from tests.factories import CollectiviteFactory, ConventionFactory, devis_emis_pour

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("pdf_rapide")]

PARIS = zoneinfo.ZoneInfo("Europe/Paris")
AUJOURDHUI = datetime.date(2026, 6, 15)
# Les 12 derniers mois vus d'AUJOURDHUI : juillet 2025 à juin 2026.
DEBUT, FIN = datetime.date(2025, 7, 1), datetime.date(2026, 7, 1)
EMETTEURS = [Emetteur.FIBRE.value, Emetteur.CDG.value]
NOM_DE_DOMAINE = [LigneDemandee("nom-de-domaine", 1)]


def a(annee, mois, jour, heure=10, minute=0) -> datetime.datetime:
    """Un instant, heure de Paris."""
    return datetime.datetime(annee, mois, jour, heure, minute, tzinfo=PARIS)


@contextlib.contextmanager
def le(instant: datetime.datetime):
    """Les services croient être à ``instant`` (``timezone.now`` et donc
    ``timezone.localdate``)."""
    with mock.patch("django.utils.timezone.now", return_value=instant):
        yield


def emettre(collectivite, agent, instant, lignes=None) -> list[Devis]:
    with le(instant):
        return devis_emis_pour(collectivite, par=agent, lignes=lignes)


def accepter(devis, agent, instant) -> Devis:
    with le(instant):
        return devis_services.devis_accepter(
            devis=devis,
            signataire_nom="Dominique Durand",
            signataire_qualite="Maire",
            par=agent,
            canal="papier",
        )


def refuser(devis, agent, instant) -> Devis:
    with le(instant):
        return devis_services.devis_refuser(
            devis=devis, motif="Trop cher", par=agent, canal="papier"
        )


@pytest.fixture
def territoire(ruitz, grille_2024_14):
    """Un EPCI (30 000 habitants, F) et ses communes : Ruitz (B, signée),
    Quercamps (A, convention résiliée), une commune forcée en E (signée) ;
    hors EPCI : Beuvry (D, signée) et une commune sans chiffres (inconnue) ;
    un CCAS de 7 agents (B, convention en signature)."""
    epci = CollectiviteFactory(
        type=Collectivite.Type.EPCI, nom="CC Artois Essai", population=30000
    )
    Collectivite.objects.filter(pk=ruitz.pk).update(epci=epci)
    quercamps = CollectiviteFactory(nom="Quercamps", population=400, epci=epci)
    ConventionFactory(
        collectivite=quercamps,
        statut=Convention.Statut.RESILIEE,
        resiliation_date=datetime.date(2025, 1, 31),
        resiliation_motif="Fusion de communes",
    )
    forcee = CollectiviteFactory(
        nom="Station Essai",
        population=1500,
        epci=epci,
        categorie_forcee="E",
        categorie_forcee_motif="Commune touristique : population saisonnière",
    )
    ConventionFactory(collectivite=forcee, signee=True)
    beuvry = CollectiviteFactory(nom="Beuvry", population=9500)
    ConventionFactory(collectivite=beuvry, signee=True)
    CollectiviteFactory(nom="Sans Chiffres", population=None, population_annee=None)
    ccas = CollectiviteFactory(
        type=Collectivite.Type.CCAS,
        nom="CCAS de Ruitz",
        population=None,
        population_annee=None,
        agents=7,
    )
    ConventionFactory(collectivite=ccas, statut=Convention.Statut.EN_SIGNATURE)
    return SimpleNamespace(
        epci=epci, ruitz=ruitz, quercamps=quercamps, forcee=forcee, beuvry=beuvry
    )


@pytest.fixture
def historique(territoire, alice_agent):
    """Des devis émis, acceptés, refusés, annulés et expirés par les vrais
    services, vus depuis le 15 juin 2026.

    - R1 (Ruitz), émis le 1er mars 2026, les deux acceptés le 11 mars (10 j) ;
    - B1 (Beuvry), émis le 20 mai 2026 : La Fibre acceptée le 1er juin à
      00 h 30 (heure de Paris : le 31 mai en UTC, compté en juin, 12 j), le
      CDG refusé le 2 juin ;
    - B2 (Beuvry, nom de domaine), émis le 1er avril 2026, accepté le 5 avril
      (4 j) puis annulé le 20 avril ;
    - R2 (Ruitz), émis le 1er mai 2025 : La Fibre acceptée le 20 mai 2025
      (hors des 12 mois), le CDG resté sans réponse, expiré ;
    - R3 (Ruitz), émis le 10 juin 2026, en attente ; un brouillon de Ruitz.
    """
    agent, ruitz, beuvry = alice_agent, territoire.ruitz, territoire.beuvry
    r1 = emettre(ruitz, agent, a(2026, 3, 1))
    for devis in r1:
        accepter(devis, agent, a(2026, 3, 11, 9))
    b1_fibre, b1_cdg = emettre(beuvry, agent, a(2026, 5, 20))
    accepter(b1_fibre, agent, a(2026, 6, 1, 0, 30))
    refuser(b1_cdg, agent, a(2026, 6, 2))
    (b2,) = emettre(beuvry, agent, a(2026, 4, 1), lignes=NOM_DE_DOMAINE)
    accepter(b2, agent, a(2026, 4, 5))
    with le(a(2026, 4, 20)):
        devis_services.devis_annuler(devis=b2, motif="Commande en double", par=agent)
    r2_fibre, _ = emettre(ruitz, agent, a(2025, 5, 1))
    accepter(r2_fibre, agent, a(2025, 5, 20))
    emettre(ruitz, agent, a(2026, 6, 10))
    with le(a(2026, 6, 12)):
        devis_emis_pour(ruitz, par=agent, lignes=NOM_DE_DOMAINE, emettre=False)
    return territoire


# --- Recomptes en Python, devis par devis ---------------------------------------


def _jour(instant) -> datetime.date:
    return timezone.localtime(instant).date()


def recompte_montants() -> dict:
    """(mois, émetteur) → [unique, annuel] des devis encore acceptés."""
    sommes = defaultdict(lambda: [Decimal("0.00"), Decimal("0.00")])
    for devis in Devis.objects.select_related("emetteur"):
        if devis.statut != Devis.Statut.ACCEPTE:
            continue
        jour = _jour(devis.accepte_le)
        if DEBUT <= jour < FIN:
            somme = sommes[(jour.replace(day=1), devis.emetteur.code)]
            somme[0] += devis.total_unique
            somme[1] += devis.total_annuel
    return sommes


def recompte_etats() -> Counter:
    etats = Counter()
    for devis in Devis.objects.select_related("emetteur"):
        perime = devis.statut == Devis.Statut.EMIS and devis.date_validite < AUJOURDHUI
        etat = Devis.Statut.EXPIRE.value if perime else devis.statut
        etats[(etat, devis.emetteur.code)] += 1
    return etats


def recompte_reponses() -> dict:
    """émetteur → (acceptés, refusés, jours d'émission à acceptation)."""
    reponses = {code: [0, 0, []] for code in EMETTEURS}
    for devis in Devis.objects.select_related("emetteur"):
        reponse = reponses[devis.emetteur.code]
        if devis.accepte_le and DEBUT <= _jour(devis.accepte_le) < FIN:
            reponse[0] += 1
            reponse[2].append((_jour(devis.accepte_le) - devis.date_emission).days)
        if devis.refuse_le and DEBUT <= _jour(devis.refuse_le) < FIN:
            reponse[1] += 1
    return reponses


def recompte_couverture(cle) -> dict:
    """groupe → (collectivités, sous convention signée)."""
    groupes = defaultdict(lambda: [0, 0])
    for collectivite in Collectivite.objects.select_related("epci"):
        groupe = cle(collectivite)
        if groupe is None:
            continue
        groupes[groupe][0] += 1
        groupes[groupe][1] += collectivite.conventions.filter(
            statut=Convention.Statut.SIGNEE
        ).exists()
    return {groupe: tuple(n) for groupe, n in groupes.items()}


def _par_groupe(graphique) -> dict:
    return {ligne[0]: ligne[1:3] for ligne in graphique.lignes}


# --- Chaque figure égale son recompte ---------------------------------------------


def test_the_accepted_amounts_per_issuer_and_month_equal_the_devis_added_up_one_by_one(
    historique,
):
    """Montants acceptés : une ligne par mois des 12 derniers, unique et annuel
    par émetteur ; un devis annulé après acceptation ne compte plus, une
    acceptation à 00 h 30 le 1er juin compte en juin (heure de Paris)."""
    graphique = devis_statistiques.montants_acceptes_par_mois(AUJOURDHUI)
    sommes = recompte_montants()

    mois = statistiques.mois_glissants(AUJOURDHUI)
    assert mois[0] == DEBUT and len(graphique.lignes) == 12
    for premier, ligne in zip(mois, graphique.lignes, strict=True):
        valeurs = [v for code in EMETTEURS for v in sommes[(premier, code)]]
        assert ligne == (
            statistiques.libelle_mois_court(premier),
            *valeurs,
            sum(valeurs, Decimal("0.00")),
        )
    for rang, serie in enumerate(graphique.series):
        assert serie.valeurs == tuple(ligne[1 + rang] for ligne in graphique.lignes)
    lignes = {ligne[0]: ligne[1:] for ligne in graphique.lignes}
    # La Fibre : clé 1 an (76,80 unique) + 3 messageries (60,00 par an) ; le
    # CDG : accompagnement de 3 comptes (50,00 par an).
    assert lignes["mars 2026"] == (
        Decimal("76.80"),
        Decimal("60.00"),
        Decimal("0.00"),
        Decimal("50.00"),
        Decimal("186.80"),
    )
    assert lignes["juin 2026"][:2] == (Decimal("76.80"), Decimal("60.00"))
    assert sum(lignes["mai 2026"]) == sum(lignes["avr. 2026"]) == 0


def test_devis_by_state_equal_the_states_counted_one_by_one(historique):
    """Devis par état et par émetteur, brouillons compris ; un devis émis dont
    la validité est passée compte comme expiré."""
    graphique = devis_statistiques.devis_par_etat(AUJOURDHUI)
    etats = recompte_etats()

    for etat, ligne in zip(Devis.Statut, graphique.lignes, strict=True):
        nombres = [etats[(etat.value, code)] for code in EMETTEURS]
        assert ligne == (etat.label, *nombres, sum(nombres))
    assert sum(ligne[-1] for ligne in graphique.lignes) == Devis.objects.count()
    lignes = {ligne[0]: ligne[1:] for ligne in graphique.lignes}
    assert lignes["Accepté"] == (3, 1, 4)
    assert lignes["Expiré"] == (0, 1, 1)
    assert lignes["Annulé"] == (1, 0, 1)
    assert lignes["Brouillon"] == (1, 0, 1)


def test_the_acceptance_rate_and_delay_equal_the_answers_counted_one_by_one(
    historique,
):
    """Taux d'acceptation et délai moyen (émission → acceptation) sur les
    réponses des 12 derniers mois, par émetteur et pour l'ensemble."""
    graphique = devis_statistiques.taux_d_acceptation(AUJOURDHUI)
    reponses = recompte_reponses()

    for code, ligne in zip(EMETTEURS, graphique.lignes[:-1], strict=True):
        acceptes, refuses, jours = reponses[code]
        assert ligne[1:3] == (acceptes, refuses)
        assert ligne[3] == statistiques.part(acceptes, acceptes + refuses)
        moyenne = Decimal(sum(jours)) / len(jours)
        assert ligne[4] == moyenne.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    # La Fibre : R1, B1 et B2 acceptés (10, 12 et 4 jours) ; le CDG : R1
    # accepté (10 jours), B1 refusé. R2 (mai 2025) est hors période.
    assert graphique.lignes == (
        ("La Fibre Numérique 59-62", 3, 0, Decimal("100.0"), Decimal("8.7")),
        ("CDG 62", 1, 1, Decimal("50.0"), Decimal("10.0")),
        ("Ensemble", 4, 1, Decimal("80.0"), Decimal("9.0")),
    )
    assert dict(graphique.chiffres) == {
        "Taux d'acceptation": "80\u00a0%",
        "Délai moyen d'acceptation": "9\u00a0jours",
        "Réponses reçues": "5",
    }


def test_conventions_by_state_equal_the_conventions_counted_one_by_one(historique):
    graphique = statistiques.conventions_par_etat()
    etats = Counter(Convention.objects.values_list("statut", flat=True))

    assert graphique.lignes == tuple(
        (etat.label, etats[etat.value]) for etat in Convention.Statut
    )
    assert graphique.series[0].valeurs == tuple(n for _, n in graphique.lignes)


def test_the_share_under_convention_by_category_follows_the_category_rule(
    historique, grille_2024_14
):
    """La catégorie, calculée par la base, est celle que la règle donne
    collectivité par collectivité (forçage, population, sinon agents)."""
    grille = grille_instantane(grille_2024_14)
    graphique = statistiques.part_sous_convention_par_categorie(grille)
    attendu = recompte_couverture(
        lambda c: categorie_expliquee(c, grille)[0] or statistiques.INCONNUE
    )

    assert _par_groupe(graphique) == attendu
    assert attendu == {
        "A": (1, 0),  # Quercamps : convention résiliée
        "B": (2, 1),  # Ruitz (signée) et le CCAS de 7 agents (en signature)
        "D": (1, 1),
        "E": (1, 1),  # forcée (1 500 habitants : B sans le forçage)
        "F": (1, 0),  # l'EPCI
        "Inconnue": (1, 0),
    }
    # Dans l'ordre des catégories de la grille, l'inconnue à la fin.
    assert [ligne[0] for ligne in graphique.lignes] == [
        "A",
        "B",
        "D",
        "E",
        "F",
        "Inconnue",
    ]
    assert [ligne[4] for ligne in graphique.lignes] == [
        Decimal("0.0"),
        Decimal("50.0"),
        Decimal("100.0"),
        Decimal("100.0"),
        Decimal("0.0"),
        Decimal("0.0"),
    ]


def test_the_share_of_communes_under_convention_by_epci_equals_a_recount(historique):
    graphique = statistiques.part_sous_convention_par_epci()
    attendu = recompte_couverture(
        lambda c: (
            (c.epci.nom if c.epci else statistiques.HORS_EPCI)
            if c.type == Collectivite.Type.COMMUNE
            else None
        )
    )

    assert (
        _par_groupe(graphique)
        == attendu
        == {
            "CC Artois Essai": (3, 2),
            "Communes hors EPCI": (2, 1),
        }
    )
    assert graphique.lignes[0][4] == Decimal("66.7")
    assert graphique.lignes[-1][0] == statistiques.HORS_EPCI


def test_each_figure_is_one_grouped_query(
    historique, grille_2024_14, django_assert_num_queries
):
    grille = grille_instantane(grille_2024_14)
    figures = [
        lambda: devis_statistiques.montants_acceptes_par_mois(AUJOURDHUI),
        lambda: devis_statistiques.devis_par_etat(AUJOURDHUI),
        lambda: devis_statistiques.taux_d_acceptation(AUJOURDHUI),
        statistiques.conventions_par_etat,
        lambda: statistiques.part_sous_convention_par_categorie(grille),
        statistiques.part_sous_convention_par_epci,
    ]
    for figure in figures:
        with django_assert_num_queries(1):
            figure()


def test_without_answers_the_rate_and_delay_are_shown_as_unknown(db):
    graphique = devis_statistiques.taux_d_acceptation(AUJOURDHUI)

    assert graphique.vide
    assert dict(graphique.chiffres)["Taux d'acceptation"] == "—"


# --- La page et les CSV ---------------------------------------------------------


@pytest.fixture
def accepte_ce_jour(devis_emis, alice_agent):
    """Le devis de La Fibre de Ruitz, émis et accepté aujourd'hui."""
    return devis_services.devis_accepter(
        devis=devis_emis,
        signataire_nom="Dominique Durand",
        signataire_qualite="Maire",
        par=alice_agent,
        canal="papier",
    )


def _json_de_la_page(html: str, identifiant: str):
    trouve = re.search(
        rf'<script id="{identifiant}" type="application/json">(.*?)</script>',
        html,
        re.S,
    )
    assert trouve, identifiant
    return json.loads(trouve.group(1))


def test_the_dashboard_draws_every_figure_with_its_table_and_csv_link(
    agent, accepte_ce_jour
):
    reponse = agent.get("/gestion/")
    html = reponse.content.decode()

    assert reponse.status_code == 200
    graphiques = reponse.context["graphiques"]
    assert [g.slug for g in graphiques] == [
        "montants-acceptes",
        "devis-par-etat",
        "taux-acceptation",
        "conventions-par-etat",
        "couverture-categories",
        "couverture-epci",
    ]
    for graphique in graphiques:
        assert f"<caption>{escape(graphique.titre)}</caption>" in html
        assert f'href="/gestion/tableau-de-bord/{graphique.slug}.csv"' in html
        assert f'data-graphique="donnees-{graphique.slug}"' in html
        assert (
            _json_de_la_page(html, graphique.id_donnees)
            == graphique.donnees_graphique()
        )
    # Les blocs d'avant restent : conventions, devis, clés.
    assert "Conventions en attente de signatures" in html
    assert "Devis en attente de réponse" in html
    assert "vendor/chartjs/chart.umd.min.js" in html and "js/graphiques.js" in html
    # Le montant accepté aujourd'hui est dans le tableau du mois en cours.
    montants = graphiques[0]
    mois_courant = statistiques.libelle_mois_court(timezone.localdate())
    ligne = next(ligne for ligne in montants.lignes if ligne[0] == mois_courant)
    assert ligne[1:3] == (accepte_ce_jour.total_unique, accepte_ce_jour.total_annuel)
    assert "76,80\u00a0€" in html


def _csv(reponse) -> list[list[str]]:
    contenu = reponse.content
    assert contenu.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(contenu.decode("utf-8-sig")), delimiter=";"))


def _cellule_csv(valeur) -> str:
    if isinstance(valeur, Decimal):
        return f"{valeur:.2f}".replace(".", ",")
    return "" if valeur is None else str(valeur)


def test_each_csv_has_the_numbers_of_its_table(agent, accepte_ce_jour):
    graphiques = agent.get("/gestion/").context["graphiques"]

    for graphique in graphiques:
        reponse = agent.get(f"/gestion/tableau-de-bord/{graphique.slug}.csv")
        assert reponse.status_code == 200
        assert reponse["Content-Type"].startswith("text/csv")
        assert f"tableau-de-bord-{graphique.slug}-" in reponse["Content-Disposition"]
        entetes, *lignes = _csv(reponse)
        assert entetes == list(graphique.entetes)
        assert lignes == [
            [_cellule_csv(v) for v in ligne] for ligne in graphique.lignes
        ]
    montants = _csv(agent.get("/gestion/tableau-de-bord/montants-acceptes.csv"))
    mois_courant = statistiques.libelle_mois_court(timezone.localdate())
    assert [mois_courant, "76,80", "60,00", "0,00", "0,00", "136,80"] in montants


def test_an_empty_dashboard_says_so_and_its_csv_has_the_headers_only(agent):
    html = agent.get("/gestion/").content.decode()
    entetes, *lignes = _csv(agent.get("/gestion/tableau-de-bord/devis-par-etat.csv"))

    assert "Aucune donnée pour l'instant." in html
    assert entetes[0] == "État" and lignes == []


def test_an_unknown_figure_is_a_404(agent):
    assert agent.get("/gestion/tableau-de-bord/inconnu.csv").status_code == 404


def test_the_csv_is_for_agents_only(client, sophie):
    url = "/gestion/tableau-de-bord/montants-acceptes.csv"
    anonyme = client.get(url)
    client.force_login(sophie)

    assert anonyme.status_code == 302
    assert anonyme["Location"].startswith("/connexion/")
    assert client.get(url).status_code == 403
