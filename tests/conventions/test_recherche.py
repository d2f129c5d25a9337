"""La recherche « comme on tape » : casse, accents, tirets, apostrophes, espaces,
sur SQLite comme sur PostgreSQL, par la colonne normalisée."""

from __future__ import annotations

import pytest
from django.db import connection
from django.urls import reverse

from conventions.models import Collectivite, Convention
from conventions.selectors import q_nom_cherche
from tests.factories import CollectiviteFactory, ConventionFactory

NOMS = [
    "Villers-Châtel",
    "Saint-Omer",
    "Auchy-les-Mines",
    "Châtelet-sur-Mer",
    "L'Écluse",
    "Ruitz",
]


@pytest.fixture
def communes(db):
    return {nom: CollectiviteFactory(nom=nom) for nom in NOMS}


def _trouvees(texte: str) -> set[str]:
    condition = q_nom_cherche(texte)
    if condition is None:
        return set()
    return set(Collectivite.objects.filter(condition).values_list("nom", flat=True))


@pytest.mark.parametrize(
    ("tape", "attendues"),
    [
        ("villers chatel", {"Villers-Châtel"}),
        ("VILLERS-CHÂTEL", {"Villers-Châtel"}),
        ("  villers   chatel ", {"Villers-Châtel"}),
        ("st omer", {"Saint-Omer"}),
        ("saint-omer", {"Saint-Omer"}),
        ("auchy les mines", {"Auchy-les-Mines"}),
        ("chatel", {"Villers-Châtel", "Châtelet-sur-Mer"}),
        ("chatelet s/ mer", {"Châtelet-sur-Mer"}),
        ("l ecluse", {"L'Écluse"}),
        ("l’écluse", {"L'Écluse"}),
        ("mines auchy", {"Auchy-les-Mines"}),
        ("zzz", set()),
    ],
)
def test_the_search_ignores_case_accents_hyphens_apostrophes_and_spaces(
    communes, tape, attendues
):
    assert _trouvees(tape) == attendues


def test_every_write_path_keeps_the_search_column_in_step(db):
    commune = Collectivite.objects.create(nom="Villers-Châtel")
    assert commune.nom_recherche == "villers chatel"

    commune.nom = "Saint-Omer"
    commune.save(update_fields=["nom"])

    commune.refresh_from_db()
    assert commune.nom_recherche == "saint omer"


def test_the_back_office_list_finds_villers_chatel(client, alice_agent, communes):
    client.force_login(alice_agent)

    reponse = client.get(reverse("gestion:collectivites"), {"q": "villers chatel"})

    assert [ligne["collectivite"].nom for ligne in reponse.context["lignes"]] == [
        "Villers-Châtel"
    ]


def test_the_conventions_list_searches_the_collectivite_name(
    client, alice_agent, communes, grille_2024_14
):
    ConventionFactory(collectivite=communes["Saint-Omer"], grille=grille_2024_14)
    ConventionFactory(collectivite=communes["Ruitz"], grille=grille_2024_14)
    client.force_login(alice_agent)

    reponse = client.get(reverse("gestion:conventions"), {"q": "st omer"})

    assert [c.collectivite.nom for c in reponse.context["page"]] == ["Saint-Omer"]
    assert Convention.objects.count() == 2


def test_the_admin_search_of_collectivites_uses_the_normalised_name(
    client, admin_user, communes
):
    client.force_login(admin_user)

    reponse = client.get(
        reverse("admin:conventions_collectivite_changelist"), {"q": "auchy les mines"}
    )

    assert [c.nom for c in reponse.context["cl"].result_list] == ["Auchy-les-Mines"]


def test_the_search_query_is_a_like_on_the_indexed_column(communes):
    sql = str(Collectivite.objects.filter(q_nom_cherche("villers chatel")).query)

    assert "nom_recherche" in sql
    assert "LIKE" in sql.upper()


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="L'index trigramme (pg_trgm) n'existe que sur PostgreSQL.",
)
def test_postgresql_uses_the_trigram_index_for_the_search(communes):
    with connection.cursor() as curseur:
        curseur.execute("SET LOCAL enable_seqscan = off")
        sql, params = Collectivite.objects.filter(
            q_nom_cherche("chatel")
        ).query.sql_with_params()
        curseur.execute("EXPLAIN " + sql, params)
        plan = "\n".join(ligne[0] for ligne in curseur.fetchall())

    assert "collectivite_nom_recherche_trgm" in plan
