"""La pagination plafonnée : le comptage s'arrête au plafond (requête bornée),
les pages au-delà ne se parcourent pas, et la liste le dit."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from config import pagination
from config.pagination import PaginateurPlafonne
from conventions.models import Collectivite
from tests.factories import CollectiviteFactory

pytestmark = pytest.mark.django_db


def test_the_count_stops_at_the_cap_in_one_bounded_query():
    CollectiviteFactory.create_batch(8)

    paginateur = PaginateurPlafonne(Collectivite.objects.order_by("pk"), 2, plafond=5)
    with CaptureQueriesContext(connection) as requetes:
        compte = paginateur.count

    assert (compte, paginateur.plafonne, paginateur.num_pages) == (5, True, 3)
    assert paginateur.compte_affiche == "plus de 5"
    (requete,) = requetes.captured_queries
    assert "LIMIT 6" in requete["sql"]


def test_a_list_under_the_cap_is_counted_exactly():
    CollectiviteFactory.create_batch(3)

    paginateur = PaginateurPlafonne(Collectivite.objects.order_by("pk"), 2, plafond=5)

    assert paginateur.count == 3
    assert (paginateur.plafonne, paginateur.num_pages) == (False, 2)
    assert paginateur.compte_affiche == "3"


def test_a_page_beyond_the_cap_falls_back_to_the_last_reachable_page():
    CollectiviteFactory.create_batch(8)
    paginateur = PaginateurPlafonne(Collectivite.objects.order_by("pk"), 2, plafond=5)

    page = paginateur.get_page(4)

    assert page.number == 3
    assert len(page.object_list) == 1  # la cinquième ligne, pas la septième


def test_the_back_office_list_says_there_are_more_and_invites_to_filter(
    agent, monkeypatch
):
    CollectiviteFactory.create_batch(4)
    monkeypatch.setattr(pagination, "PLAFOND", 3)

    page = agent.get("/gestion/collectivites/").content.decode()

    assert "plus de 3 collectivités" in page
    assert "affinez les filtres" in page
