"""Chargement du référentiel officiel (887 communes, 20 EPCI du 62) en base."""

from __future__ import annotations

import copy
import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from conventions.categories import categorie_expliquee
from conventions.models import Collectivite
from conventions.referentiel_chargement import (
    referentiel_charger,
    referentiel_officiel,
)
from tarifs.selectors import grille_instantane

Historique = Collectivite.history.model


def _donnees() -> dict:
    donnees = copy.deepcopy(referentiel_officiel())
    donnees.pop("communes_par_code")
    return donnees


@pytest.fixture
def charge(db):
    return referentiel_charger(donnees=_donnees())


def test_it_loads_the_887_communes_and_20_epci_of_the_62(charge):
    assert Collectivite.objects.filter(type="commune").count() == 887
    assert Collectivite.objects.filter(type="epci").count() == 20
    assert (charge.communes_creees, charge.epci_crees) == (887, 20)


def test_ruitz_carries_the_siren_and_population_of_the_file(charge):
    ruitz = Collectivite.objects.select_related("epci").get(code_insee="62727")
    fichier = referentiel_officiel()["communes_par_code"]["62727"]

    assert ruitz.nom == "Ruitz"
    assert ruitz.siren == "216207274"
    assert ruitz.population == fichier["population_totale"]
    assert ruitz.population_municipale == fichier["population_municipale"]
    assert ruitz.population_annee == ruitz.referentiel_millesime == 2023
    assert ruitz.codes_postaux == ["62620"]
    assert ruitz.arrondissement == "622"
    assert ruitz.epci.siren == fichier["epci_siren"]
    assert ruitz.nom_recherche == "ruitz"


@pytest.mark.parametrize("code", ["62001", "62041", "62498", "62765", "62893"])
def test_a_sample_of_communes_match_the_file(charge, code):
    fichier = referentiel_officiel()["communes_par_code"][code]
    commune = Collectivite.objects.get(code_insee=code)

    assert (commune.nom, commune.siren, commune.population) == (
        fichier["nom"],
        fichier["siren"],
        fichier["population_totale"],
    )


def test_every_epci_lists_its_communes(charge):
    for epci in referentiel_officiel()["epci"]:
        ligne = Collectivite.objects.get(type="epci", siren=epci["siren"])
        assert ligne.nature_epci == epci["type"]
        assert ligne.population == epci["population_totale"]
        assert sorted(ligne.communes.values_list("code_insee", flat=True)) == sorted(
            epci["communes"]
        )


def test_loading_twice_changes_nothing_and_writes_no_history(charge):
    historique = Historique.objects.count()

    second = referentiel_charger(donnees=_donnees())

    assert second.ecritures == 0
    assert (second.communes_inchangees, second.epci_inchanges) == (887, 20)
    assert Historique.objects.count() == historique


def test_existing_rows_are_read_in_one_query(charge):
    with CaptureQueriesContext(connection) as requetes:
        referentiel_charger(donnees=_donnees())

    lectures = [q for q in requetes.captured_queries if "SELECT" in q["sql"]]
    assert len(lectures) <= 2  # une lecture, et peut-être le point de sauvegarde


def test_a_new_millesime_updates_populations_with_a_history_line_and_the_category(
    charge, grille_2024_14
):
    instantane = grille_instantane(grille_2024_14)
    ruitz = Collectivite.objects.get(code_insee="62727")
    assert categorie_expliquee(ruitz, instantane)[0] == "B"
    donnees = _donnees()
    donnees["millesime"] = 2027
    commune = next(c for c in donnees["communes"] if c["code_insee"] == "62727")
    commune["population_totale"] = 2_500

    rapport = referentiel_charger(donnees=donnees)

    ruitz.refresh_from_db()
    assert (ruitz.population, ruitz.population_annee) == (2_500, 2027)
    assert categorie_expliquee(ruitz, instantane)[0] == "C"
    derniere = ruitz.history.order_by("-history_id").first()
    assert derniere.history_change_reason == "Référentiel 2027"
    assert rapport.communes_mises_a_jour == 887  # le millésime change partout


def test_an_existing_commune_is_matched_by_code_insee_not_duplicated(db):
    ancienne = Collectivite.objects.create(
        nom="Ruitz", code_insee="62727", adresse="Mairie", population=10
    )

    referentiel_charger(donnees=_donnees())

    assert Collectivite.objects.filter(code_insee="62727").count() == 1
    ancienne.refresh_from_db()
    assert (ancienne.siren, ancienne.adresse) == ("216207274", "Mairie")


def test_the_command_loads_the_shipped_file(db):
    sortie = io.StringIO()

    call_command("charger_referentiel", stdout=sortie)

    assert "communes 887 créée(s)" in sortie.getvalue()


def test_the_epci_page_lists_its_communes_with_category_and_convention(
    client, alice_agent, charge, django_assert_max_num_queries
):
    epci = Collectivite.objects.get(
        type="epci",
        siren=referentiel_officiel()["communes_par_code"]["62727"]["epci_siren"],
    )
    client.force_login(alice_agent)
    nombre = epci.communes.count()

    with django_assert_max_num_queries(40):
        reponse = client.get(reverse("gestion:collectivite", args=[epci.pk]))

    texte = reponse.content.decode()
    assert reponse.status_code == 200
    assert f"Communes de l'EPCI ({nombre})" in texte
    assert "Ruitz" in texte


def test_the_list_filters_by_epci_and_arrondissement(client, alice_agent, charge):
    client.force_login(alice_agent)
    ruitz = Collectivite.objects.get(code_insee="62727")

    par_epci = client.get(reverse("gestion:collectivites"), {"epci": ruitz.epci_id})
    par_arrondissement = client.get(
        reverse("gestion:collectivites"), {"arrondissement": "627", "type": "commune"}
    )

    assert par_epci.context["page"].paginator.count == ruitz.epci.communes.count()
    assert par_arrondissement.context["page"].paginator.count == 50


def test_the_epci_filter_also_finds_communes_by_the_epci_name(
    client, alice_agent, charge
):
    client.force_login(alice_agent)
    ruitz = Collectivite.objects.get(code_insee="62727")

    reponse = client.get(reverse("gestion:collectivites"), {"epci": ruitz.epci.nom})

    assert reponse.context["page"].paginator.count == ruitz.epci.communes.count()
