"""Une commune ne se crée que depuis le référentiel officiel du 62 ; les autres
établissements restent saisis à la main (SIREN contrôlé)."""

from __future__ import annotations

from conventions.forms import CollectiviteForm
from conventions.models import Collectivite
from tests.factories import siren_valide


def _form(**autres) -> CollectiviteForm:
    donnees = {
        "type": "commune",
        "nom": "",
        "code_insee": "62727",
        "adresse": "Mairie",
        "code_postal": "62620",
        "ville": "Ruitz",
    }
    donnees.update(autres)
    return CollectiviteForm(data=donnees)


def test_a_commune_takes_its_name_siren_and_population_from_the_referentiel(db):
    form = _form()

    assert form.is_valid(), form.errors
    assert form.cleaned_data["nom"] == "Ruitz"
    assert form.cleaned_data["siren"] == "216207274"
    assert form.cleaned_data["population_annee"] == 2023


def test_a_commune_code_missing_from_the_referentiel_is_refused(db):
    form = _form(code_insee="62999")

    assert not form.is_valid()
    assert form.errors["code_insee"] == [
        "Le code INSEE 62999 n'existe pas dans le référentiel officiel des "
        "communes du Pas-de-Calais (millésime 2023)."
    ]


def test_a_wrong_siren_for_the_commune_is_refused(db):
    form = _form(siren=siren_valide(1))

    assert not form.is_valid()
    assert "Le SIREN de Ruitz est 216207274" in form.errors["siren"][0]


def test_a_commune_already_present_is_refused_with_a_link_to_it(
    client, alice_agent, db
):
    existante = Collectivite.objects.create(nom="Ruitz", code_insee="62727")
    client.force_login(alice_agent)

    reponse = client.post(
        "/gestion/collectivites/nouvelle/",
        {"type": "commune", "code_insee": "62727", "adresse": "Mairie"},
    )

    assert reponse.status_code == 200
    assert f'href="/gestion/collectivites/{existante.pk}/"' in reponse.text
    assert Collectivite.objects.filter(code_insee="62727").count() == 1


def test_a_ccas_stays_hand_made_with_its_siren_checked(db):
    bon = CollectiviteForm(
        data={"type": "ccas", "nom": "CCAS de Ruitz", "siren": siren_valide(9)}
    )
    mauvais = CollectiviteForm(
        data={"type": "ccas", "nom": "CCAS de Ruitz", "siren": "123456789"}
    )

    assert bon.is_valid(), bon.errors
    assert not mauvais.is_valid()


def test_a_ccas_without_a_name_is_refused(db):
    form = CollectiviteForm(data={"type": "ccas", "nom": ""})

    assert form.errors["nom"] == ["Indiquez le nom de la collectivité."]
