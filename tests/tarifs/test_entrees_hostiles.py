"""Entrées hostiles de l'API publique ``/api/chiffrage`` : octets quelconques,
JSON très imbriqués ou très gros, types de contenu inattendus (charges :
``tests.hostiles``)."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.hostiles import (
    ANGLAIS,
    SCRIPT,
    compter,
)

pytestmark = pytest.mark.usefixtures("pdf_rapide")


# --- API publique /api/chiffrage ----------------------------------------------------

API = "/api/chiffrage"
LIGNE = {"code": "messagerie-5go", "quantite": 1}
FORFAIT = '"lignes": [{"code": "forfait-categorie", "quantite": 1}]'


def api_erreur_francaise(reponse) -> list[str]:
    assert reponse.status_code == 400, reponse.content[:300]
    assert reponse["Content-Type"].startswith("application/json")
    erreurs = reponse.json()["erreurs"]
    assert erreurs and all(isinstance(e, str) for e in erreurs)
    for erreur in erreurs:
        assert not ANGLAIS.search(erreur), erreur
    return erreurs


@pytest.fixture
def api(client, grille_2024_14):
    return client


@pytest.mark.parametrize(
    "corps",
    [
        b"",
        b"\x00",
        b"\xff\xfe\x00{",
        b"\xef\xbb\xbf{}",
        "[" * 100_000,
        '{"a":' * 50_000 + "1" + "}" * 50_000,
        "1" * 5000,
        '{"lignes": [{"code": "messagerie-5go", "quantite": 1e400}]}',
        '{"lignes": [{"code": "messagerie-5go", "quantite": NaN}]}',
        '{"lignes": [{"code": "messagerie-5go", "quantite": Infinity}]}',
        '{"lignes": [{"code": "messagerie-5go", "quantite": -0}]}',
        '{"lignes": [{"code": "messagerie-5go", "quantite": ' + "9" * 5000 + "}]}",
        '{"lignes": [{"code": "messagerie-5go\\u0000", "quantite": 1}]}',
        '{"lignes": [{"code": "\\ud800", "quantite": 1}]}',
        '{"lignes": [{"code": "' + SCRIPT + '", "quantite": 1}]}',
        '{"lignes": [{"code": "messagerie-5go", "quantite": "٣"}]}',
        '{"date": "2024-02-30", "lignes": []}',
        '{"date": "0000-01-01", "lignes": [{"code": "messagerie-5go", "quantite": 1}]}',
        '{"date": "2024-06-01\\u0000", "lignes": []}',
        '{"collectivite": {"id": '
        + str(10**30)
        + '}, "lignes": [{"code": "forfait-categorie", "quantite": 1}]}',
        '{"collectivite": {"id": 1e300}, ' + FORFAIT + "}",
        '{"collectivite": {"categorie": "A\\u0000"}, ' + FORFAIT + "}",
        '{"collectivite": {"\\u0000": 1}, ' + FORFAIT + "}",
        '{"lignes": [{"code": "messagerie-5go", "quantite": 1}], "lignes": "doublon"}',
    ],
    ids=lambda corps: repr(corps)[:40],
)
def test_the_api_answers_hostile_bodies_with_french_json_errors(api, corps):
    reponse = api.post(API, corps, content_type="application/json")
    api_erreur_francaise(reponse)
    # La saisie peut être citée dans un message : jamais interprétée comme HTML.
    assert reponse["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    "type_de_contenu",
    [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=xyz",
        "application/json; charset=latin-1",
        "application/xml",
        "",
    ],
)
def test_the_api_reads_the_body_whatever_the_content_type(api, type_de_contenu):
    corps = json.dumps({"lignes": [LIGNE]})

    reponse = api.post(API, corps, content_type=type_de_contenu)

    assert reponse.status_code == 200
    fibre = _devis_de(reponse.json(), "fibre")
    assert fibre["lignes"][0]["montant"] == "20.00"  # messagerie 5 Go, 2024/14
    assert fibre["total_annuel"] == "20.00"


def _devis_de(reponse: dict, emetteur: str) -> dict:
    return next(d for d in reponse["devis"] if d["emetteur"] == emetteur)


@pytest.mark.parametrize(
    ("corps", "categorie"),
    [
        ({"date": "9999-12-31", "lignes": [LIGNE]}, None),
        ({"collectivite": {"population": 10**30}, "lignes": [LIGNE]}, "I"),
        ({"collectivite": {"agents": 10**30}, "lignes": [LIGNE]}, "I"),
        ({"lignes": [{"code": "messagerie-5go", "quantite": 1.0}]}, None),
    ],
    ids=["an_9999", "population_immense", "agents_immense", "quantite_flottante"],
)
def test_the_api_prices_extreme_but_meaningful_values(api, corps, categorie):
    reponse = api.post(API, json.dumps(corps), content_type="application/json")

    assert reponse.status_code == 200
    resultat = reponse.json()
    # La grille 2024/14 reste en vigueur ; une population ou un effectif
    # immense tombe dans la dernière catégorie ; 1.0 compte pour 1.
    assert resultat["grille"]["reference"] == "2024/14"
    assert resultat["categorie"] == categorie
    fibre = _devis_de(resultat, "fibre")
    assert fibre["lignes"][0]["quantite"] == 1
    assert fibre["total_annuel"] == "20.00"


def test_the_api_refuses_a_huge_body_in_french(api, settings):
    corps = json.dumps({"lignes": [LIGNE] * 200_000})
    assert len(corps) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    erreurs = api_erreur_francaise(
        api.post(API, corps, content_type="application/json")
    )
    assert "volumineux" in erreurs[0]


def test_the_api_answers_many_lines_quickly_and_in_french(api):
    corps = json.dumps({"lignes": [LIGNE] * 20_000 + [{"code": SCRIPT, "quantite": 0}]})
    api_erreur_francaise(api.post(API, corps, content_type="application/json"))


def test_the_api_writes_nothing_even_for_hostile_bodies(api):
    avant = compter()
    for corps in (b"\x00" * 100, '{"lignes": [{"code": "\\u0000", "quantite": 1}]}'):
        api.post(API, corps, content_type="application/json")
    assert compter() == avant


json_valeurs = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(alphabet=st.characters(), max_size=30),
    lambda enfants: (
        st.lists(enfants, max_size=5)
        | st.dictionaries(st.text(max_size=12), enfants, max_size=5)
    ),
    max_leaves=25,
)


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    corps=st.binary(max_size=300)
    | json_valeurs.map(lambda v: json.dumps(v))
    | st.fixed_dictionaries(
        {
            "lignes": st.lists(
                st.fixed_dictionaries({"code": json_valeurs, "quantite": json_valeurs}),
                max_size=3,
            )
        },
        optional={
            "date": json_valeurs,
            "collectivite": st.dictionaries(
                st.sampled_from(["id", "population", "agents", "categorie"]),
                json_valeurs,
            ),
        },
    ).map(json.dumps)
)
def test_random_bytes_and_json_with_nan_never_get_a_500(api, corps):
    reponse = api.post(API, corps, content_type="application/json")
    assert reponse.status_code in (200, 400)
    if reponse.status_code == 400:
        api_erreur_francaise(reponse)
