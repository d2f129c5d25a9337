from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from conventions import services
from conventions.categories import INCONNUE, categorie_expliquee, filtrer_par_categorie
from conventions.models import Collectivite
from tarifs.selectors import grille_instantane
from tests.factories import CollectiviteFactory

NBSP = "\u00a0"

PAR_POPULATION = [
    (0, "A"),
    (1000, "A"),
    (1001, "B"),
    (2000, "B"),
    (2001, "C"),
    (5000, "C"),
    (5001, "D"),
    (10000, "D"),
    (10001, "E"),
    (20000, "E"),
    (20001, "F"),
    (30000, "F"),
    (30001, "G"),
    (50000, "G"),
    (50001, "H"),
    (100000, "H"),
    (100001, "I"),
    (2_000_000, "I"),
]

PAR_AGENTS = [
    (0, "A"),
    (4, "A"),
    (5, "B"),
    (10, "B"),
    (11, "C"),
    (40, "C"),
    (41, "D"),
    (100, "D"),
    (101, "E"),
    (200, "E"),
    (201, "F"),
    (300, "F"),
    (301, "G"),
    (600, "G"),
    (601, "H"),
    (1000, "H"),
    (1001, "I"),
]


@pytest.mark.parametrize(("population", "attendue"), PAR_POPULATION)
def test_it_classes_a_commune_by_its_population_at_every_boundary(
    grille_2024_14, population, attendue
):
    grille = grille_instantane(grille_2024_14)
    collectivite = CollectiviteFactory(population=population, agents=None)

    assert categorie_expliquee(collectivite, grille)[0] == attendue
    filtrees = filtrer_par_categorie(Collectivite.objects.all(), attendue, grille)
    assert list(filtrees) == [collectivite]
    for autre in grille.codes_categories:
        if autre != attendue:
            assert not filtrer_par_categorie(
                Collectivite.objects.all(), autre, grille
            ).exists()


@pytest.mark.parametrize(("agents", "attendue"), PAR_AGENTS)
def test_it_classes_an_etablissement_without_population_by_its_agents(
    grille_2024_14, agents, attendue
):
    grille = grille_instantane(grille_2024_14)
    collectivite = CollectiviteFactory(
        type=Collectivite.Type.CCAS, code_insee="", population=None, agents=agents
    )

    assert categorie_expliquee(collectivite, grille)[0] == attendue
    filtrees = filtrer_par_categorie(Collectivite.objects.all(), attendue, grille)
    assert list(filtrees) == [collectivite]
    for autre in grille.codes_categories:
        if autre != attendue:
            assert not filtrer_par_categorie(
                Collectivite.objects.all(), autre, grille
            ).exists()


def test_the_population_prevails_over_the_number_of_agents(grille_2024_14):
    grille = grille_instantane(grille_2024_14)
    collectivite = CollectiviteFactory(population=800, agents=500)

    assert categorie_expliquee(collectivite, grille)[0] == "A"
    assert list(filtrer_par_categorie(Collectivite.objects.all(), "A", grille)) == [
        collectivite
    ]
    assert not filtrer_par_categorie(Collectivite.objects.all(), "G", grille).exists()


def test_it_explains_the_category_in_french(instantane_2024_14):
    commune = Collectivite(population=1500, population_annee=2021)
    ccas = Collectivite(agents=3, agents_date=datetime.date(2024, 1, 1))
    grande = Collectivite(population=120000)

    assert categorie_expliquee(commune, instantane_2024_14) == (
        "B",
        f"B — population totale de 1{NBSP}500 habitants (2021), "
        f"entre 1{NBSP}001 et 2{NBSP}000 habitants",
    )
    assert categorie_expliquee(ccas, instantane_2024_14) == (
        "A",
        "A — 3 agents au 1er janvier 2024, au plus 4 agents",
    )
    assert categorie_expliquee(grande, instantane_2024_14) == (
        "I",
        f"I — population totale de 120{NBSP}000 habitants, "
        f"à partir de 100{NBSP}001 habitants",
    )


def test_an_unknown_category_says_why(instantane_2024_14):
    assert categorie_expliquee(Collectivite(), instantane_2024_14) == (None, INCONNUE)
    assert INCONNUE == "Inconnue : ni population ni nombre d'agents"


def test_a_forced_category_wins_and_shows_the_reason(grille_2024_14):
    grille = grille_instantane(grille_2024_14)
    collectivite = CollectiviteFactory(
        population=1500,
        categorie_forcee="D",
        categorie_forcee_motif="Station balnéaire : population estivale",
    )

    assert categorie_expliquee(collectivite, grille) == (
        "D",
        "D — forcée par un agent : Station balnéaire : population estivale",
    )
    assert list(filtrer_par_categorie(Collectivite.objects.all(), "D", grille)) == [
        collectivite
    ]
    assert not filtrer_par_categorie(Collectivite.objects.all(), "B", grille).exists()


def test_the_database_refuses_a_forced_category_without_a_reason(db):
    with pytest.raises(IntegrityError), transaction.atomic():
        CollectiviteFactory(categorie_forcee="D", categorie_forcee_motif="")


@pytest.mark.parametrize("motif", ["", "   "])
def test_forcing_the_category_requires_a_reason(grille_2024_14, alice_agent, motif):
    collectivite = CollectiviteFactory(population=1500)

    with pytest.raises(ValidationError) as erreur:
        services.collectivite_forcer_categorie(
            collectivite=collectivite, categorie="D", motif=motif, par=alice_agent
        )

    assert erreur.value.messages == ["Indiquez le motif du forçage de la catégorie."]
    collectivite.refresh_from_db()
    assert collectivite.categorie_forcee == ""


def test_forcing_an_unknown_category_is_refused(grille_2024_14, alice_agent):
    collectivite = CollectiviteFactory()

    with pytest.raises(ValidationError, match="n'existe pas"):
        services.collectivite_forcer_categorie(
            collectivite=collectivite, categorie="Z", motif="x", par=alice_agent
        )


def test_forcing_is_logged_with_the_agent_and_the_reason(grille_2024_14, alice_agent):
    collectivite = CollectiviteFactory(population=1500)

    services.collectivite_forcer_categorie(
        collectivite=collectivite,
        categorie="D",
        motif="Syndicat intercommunal assimilé",
        par=alice_agent,
    )
    services.collectivite_retirer_forcage(collectivite=collectivite, par=alice_agent)

    retrait, forcage = collectivite.history.order_by("-history_date", "-history_id")[:2]
    assert forcage.categorie_forcee == "D"
    assert forcage.categorie_forcee_motif == "Syndicat intercommunal assimilé"
    assert forcage.history_user == alice_agent
    assert forcage.history_change_reason == (
        "Catégorie forcée à D : Syndicat intercommunal assimilé"
    )
    assert retrait.categorie_forcee == ""
    assert retrait.history_user == alice_agent
    assert retrait.history_change_reason == "Forçage de la catégorie D retiré"
    collectivite.refresh_from_db()
    assert categorie_expliquee(collectivite, grille_instantane(grille_2024_14))[0] == (
        "B"
    )


def test_a_long_reason_is_kept_whole_on_the_collectivite(grille_2024_14, alice_agent):
    collectivite = CollectiviteFactory()
    motif = "Motif détaillé. " * 20

    services.collectivite_forcer_categorie(
        collectivite=collectivite, categorie="C", motif=motif, par=alice_agent
    )

    collectivite.refresh_from_db()
    assert collectivite.categorie_forcee_motif == motif.strip()
    raison = collectivite.history.latest("history_date").history_change_reason
    assert len(raison) == 100 and raison.endswith("…")
