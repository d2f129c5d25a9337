"""POST /api/chiffrage : le contrat du §9 de la référence métier."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conventions.models import Collectivite

URL = "/api/chiffrage"


def poster(client, corps):
    texte = corps if isinstance(corps, str | bytes) else json.dumps(corps)
    return client.post(URL, texte, content_type="application/json")


@pytest.fixture
def api(client, grille_2024_14):
    return client


def test_the_example_of_the_reference_answers_exactly(api):
    reponse = poster(
        api,
        {
            "date": "2024-06-01",
            "collectivite": {"population": 850},
            "lignes": [
                {"code": "messagerie-5go", "quantite": 3},
                {
                    "code": "antivirus-mise-en-service",
                    "quantite": 8,
                    "intervention": True,
                },
            ],
        },
    )
    assert reponse.status_code == 200
    data = reponse.json()
    assert data["grille"] == {
        "reference": "2024/14",
        "date_deliberation": "2024-03-26",
        "date_effet": "2024-03-26",
    }
    assert data["categorie"] == "A"
    fibre, cdg = data["devis"]
    assert fibre == {
        "emetteur": "fibre",
        "lignes": [
            {
                "code": "messagerie-5go",
                "libelle": "Messagerie — compte 5 Go",
                "quantite": 3,
                "prix_unitaire": "20.00",
                "montant": "60.00",
                "periodicite": "annuelle",
                "mode": "tarif",
            }
        ],
        "total_unique": "0.00",
        "total_annuel": "60.00",
        "total_premiere_annee": "60.00",
        "sur_devis": False,
    }
    assert cdg["emetteur"] == "cdg"
    assert [(ligne["code"], ligne["montant"]) for ligne in cdg["lignes"]] == [
        ("messagerie-accompagnement", "50.00"),
        ("antivirus-mise-en-service", "200.00"),
    ]
    assert (cdg["total_unique"], cdg["total_annuel"], cdg["total_premiere_annee"]) == (
        "200.00",
        "50.00",
        "250.00",
    )


def test_both_issuers_are_always_present_in_order(api):
    data = poster(api, {"lignes": [{"code": "nom-de-domaine", "quantite": 1}]}).json()
    assert [d["emetteur"] for d in data["devis"]] == ["fibre", "cdg"]
    assert data["devis"][1] == {
        "emetteur": "cdg",
        "lignes": [],
        "total_unique": "0.00",
        "total_annuel": "0.00",
        "total_premiere_annee": "0.00",
        "sur_devis": False,
    }
    assert data["categorie"] is None


def test_sur_devis_lines_have_null_amounts_and_inclus_lines_zero(api):
    data = poster(
        api,
        {
            "collectivite": {"categorie": "G"},
            "lignes": [
                {"code": "forfait-categorie", "quantite": 1},
                {"code": "cle-1an-cdg", "quantite": 1},
            ],
        },
    ).json()
    cdg = data["devis"][1]
    lignes = {ligne["code"]: ligne for ligne in cdg["lignes"]}
    assert lignes["forfait-categorie"]["prix_unitaire"] is None
    assert lignes["forfait-categorie"]["montant"] is None
    assert lignes["cle-1an-cdg"]["montant"] == "0.00"
    assert lignes["cle-1an-cdg"]["mode"] == "inclus"
    assert cdg["sur_devis"] is True
    assert cdg["total_premiere_annee"] == "0.00"
    assert data["devis"][0]["total_premiere_annee"] == "2629.80"  # 2 553 + clé 76,80


@pytest.mark.parametrize(
    "collectivite,categorie",
    [
        ({"population": 1000}, "A"),
        ({"population": 1001}, "B"),
        ({"agents": 5}, "B"),
        ({"agents": 4}, "A"),
        ({"categorie": "E"}, "E"),
        ({"categorie": "e"}, "E"),
        ({"population": 1500, "agents": 900}, "B"),
    ],
)
def test_the_category_comes_from_the_collectivite_data(api, collectivite, categorie):
    data = poster(
        api,
        {
            "collectivite": collectivite,
            "lignes": [{"code": "forfait-categorie", "quantite": 1}],
        },
    ).json()
    assert data["categorie"] == categorie


def test_an_existing_collectivite_is_priced_on_its_category(api):
    ruitz = Collectivite.objects.create(nom="Ruitz", population=1500)
    data = poster(
        api,
        {
            "collectivite": {"id": ruitz.pk},
            "lignes": [{"code": "forfait-categorie", "quantite": 1}],
        },
    ).json()
    assert data["categorie"] == "B"
    assert data["devis"][0]["total_annuel"] == "51.00"


def test_the_date_selects_the_grid_in_force(api):
    reponse = poster(
        api,
        {
            "date": "2024-03-25",
            "lignes": [{"code": "nom-de-domaine", "quantite": 1}],
        },
    )
    assert reponse.status_code == 400
    assert "Aucune grille tarifaire publiée" in reponse.json()["erreurs"][0]
    assert (
        poster(
            api,
            {
                "date": "2024-03-26",
                "lignes": [{"code": "nom-de-domaine", "quantite": 1}],
            },
        ).status_code
        == 200
    )


@pytest.mark.parametrize(
    "corps,fragment",
    [
        ("{pas du json", "JSON valide"),
        ("", "JSON valide"),
        (b"\xff\xfe\x00", "JSON valide"),
        ("[1, 2]", "objet JSON"),
        ("42", "objet JSON"),
        ("null", "objet JSON"),
        ({}, "lignes"),
        ({"lignes": []}, "lignes"),
        ({"lignes": "messagerie"}, "lignes"),
        ({"lignes": [42]}, "objet"),
        ({"lignes": [{"quantite": 1}]}, "code"),
        ({"lignes": [{"code": "inconnu", "quantite": 1}]}, "inconnu"),
        ({"lignes": [{"code": "nom-de-domaine", "quantite": 0}]}, "quantité"),
        ({"lignes": [{"code": "nom-de-domaine", "quantite": -3}]}, "quantité"),
        ({"lignes": [{"code": "nom-de-domaine", "quantite": 1.5}]}, "quantité"),
        ({"lignes": [{"code": "nom-de-domaine", "quantite": "2"}]}, "quantité"),
        ({"lignes": [{"code": "nom-de-domaine", "quantite": True}]}, "quantité"),
        ({"lignes": [{"code": "nom-de-domaine"}]}, "quantité"),
        ({"lignes": [{"code": "nom-de-domaine", "quantite": 10**30}]}, "quantité"),
        (
            {
                "lignes": [
                    {"code": "nom-de-domaine", "quantite": 1, "intervention": "oui"}
                ]
            },
            "intervention",
        ),
        (
            {
                "lignes": [
                    {"code": "nom-de-domaine", "quantite": 1, "intervention": True}
                ]
            },
            "intervention",
        ),
        ({"lignes": [{"code": "forfait-categorie", "quantite": 1}]}, "catégorie"),
        (
            {
                "collectivite": {},
                "lignes": [{"code": "forfait-categorie", "quantite": 1}],
            },
            "catégorie",
        ),
        (
            {
                "collectivite": {"categorie": "Z"},
                "lignes": [{"code": "forfait-categorie", "quantite": 1}],
            },
            "catégorie",
        ),
        (
            {
                "collectivite": {"categorie": "A", "population": 50000},
                "lignes": [{"code": "forfait-categorie", "quantite": 1}],
            },
            "contradictoires",
        ),
        (
            {
                "collectivite": {"id": 1, "population": 50},
                "lignes": [{"code": "forfait-categorie", "quantite": 1}],
            },
            "contradictoires",
        ),
        (
            {
                "collectivite": {"population": -1},
                "lignes": [{"code": "forfait-categorie", "quantite": 1}],
            },
            "population",
        ),
        (
            {
                "collectivite": {"agents": "beaucoup"},
                "lignes": [{"code": "forfait-categorie", "quantite": 1}],
            },
            "agents",
        ),
        (
            {
                "collectivite": {"habitants": 50},
                "lignes": [{"code": "forfait-categorie", "quantite": 1}],
            },
            "clé inconnue",
        ),
        (
            {
                "collectivite": "Ruitz",
                "lignes": [{"code": "forfait-categorie", "quantite": 1}],
            },
            "objet",
        ),
        (
            {
                "collectivite": {"id": 999999},
                "lignes": [{"code": "forfait-categorie", "quantite": 1}],
            },
            "aucune collectivité",
        ),
        (
            {
                "date": "01/06/2024",
                "lignes": [{"code": "nom-de-domaine", "quantite": 1}],
            },
            "AAAA-MM-JJ",
        ),
        (
            {
                "date": "2024-02-30",
                "lignes": [{"code": "nom-de-domaine", "quantite": 1}],
            },
            "AAAA-MM-JJ",
        ),
        (
            {"date": 20240601, "lignes": [{"code": "nom-de-domaine", "quantite": 1}]},
            "AAAA-MM-JJ",
        ),
        (
            {
                "date": "2020-01-01",
                "lignes": [{"code": "nom-de-domaine", "quantite": 1}],
            },
            "Aucune grille",
        ),
    ],
)
def test_every_bad_input_gets_a_400_with_french_errors(api, corps, fragment):
    reponse = poster(api, corps)
    assert reponse.status_code == 400
    erreurs = reponse.json()["erreurs"]
    assert erreurs and all(isinstance(e, str) for e in erreurs)
    assert any(fragment.lower() in e.lower() for e in erreurs), erreurs


def test_a_collectivite_without_figures_cannot_price_a_category_line(api):
    vide = Collectivite.objects.create(nom="Syndicat sans effectif", type="syndicat")
    reponse = poster(
        api,
        {
            "collectivite": {"id": vide.pk},
            "lignes": [{"code": "forfait-categorie", "quantite": 1}],
        },
    )
    assert reponse.status_code == 400


def test_without_any_published_grid_the_api_answers_400(client, db):
    reponse = poster(client, {"lignes": [{"code": "nom-de-domaine", "quantite": 1}]})
    assert reponse.status_code == 400
    assert "Aucune grille" in reponse.json()["erreurs"][0]


def test_the_api_is_post_only_and_public(api):
    assert api.get(URL).status_code == 405


def test_the_api_writes_nothing(api, django_assert_max_num_queries):
    corps = {
        "collectivite": {"population": 850},
        "lignes": [{"code": "forfait-categorie", "quantite": 1}],
    }
    poster(api, corps)  # remplit le cache de l'instantané
    with django_assert_max_num_queries(2) as contexte:
        assert poster(api, corps).status_code == 200
    assert not any(
        q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
        for q in contexte.captured_queries
    )


json_valeurs = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(max_size=20),
    lambda enfants: (
        st.lists(enfants, max_size=4)
        | st.dictionaries(st.text(max_size=12), enfants, max_size=4)
    ),
    max_leaves=12,
)
codes = st.sampled_from(
    ["messagerie-5go", "forfait-categorie", "antivirus-mise-en-service", "inconnu", ""]
)
corps_presque_valides = st.fixed_dictionaries(
    {
        "lignes": st.lists(
            st.fixed_dictionaries(
                {
                    "code": codes | json_valeurs,
                    "quantite": st.integers(-5, 200) | json_valeurs,
                },
                optional={"intervention": st.booleans() | json_valeurs},
            ),
            max_size=4,
        )
        | json_valeurs
    },
    optional={
        "date": st.dates().map(str) | json_valeurs,
        "collectivite": st.fixed_dictionaries(
            {},
            optional={
                "population": st.integers(-10, 200_000) | json_valeurs,
                "agents": st.integers(-10, 2000) | json_valeurs,
                "categorie": st.sampled_from(list("ABCDEFGHIZ")) | json_valeurs,
                "id": json_valeurs,
            },
        )
        | json_valeurs,
    },
)


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(corps=corps_presque_valides | json_valeurs)
def test_random_json_never_gets_a_500(api, corps):
    reponse = poster(api, corps)
    assert reponse.status_code in (200, 400)
    if reponse.status_code == 400:
        assert reponse.json()["erreurs"]
