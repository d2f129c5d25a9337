from __future__ import annotations

from datetime import date

import pytest

from tarifs.models import GrilleTarifaire
from tarifs.services import grille_dupliquer


@pytest.fixture
def client_admin(client, admin_user):
    client.force_login(admin_user)
    return client


def test_the_grid_list_shows_status_and_effective_date(client_admin, grille_2024_14):
    reponse = client_admin.get("/admin/tarifs/grilletarifaire/")
    assert reponse.status_code == 200
    assert "2024/14" in reponse.text and "Publiée" in reponse.text


def test_the_grid_list_searches_by_code(client_admin, grille_2024_14):
    reponse = client_admin.get("/admin/tarifs/grilletarifaire/?q=antivirus-abonnement")
    assert "2024/14" in reponse.text
    reponse = client_admin.get("/admin/tarifs/grilletarifaire/?q=code-absent")
    assert "0 grilles tarifaires" in reponse.text or "0 grille" in reponse.text


def test_a_published_grid_is_read_only_in_admin(client_admin, grille_2024_14):
    url = f"/admin/tarifs/grilletarifaire/{grille_2024_14.pk}/change/"
    page = client_admin.get(url)
    assert page.status_code == 200
    assert 'name="_save"' not in page.text
    reponse = client_admin.post(url, {"reference": "truquée"})
    assert reponse.status_code == 403
    grille_2024_14.refresh_from_db()
    assert grille_2024_14.reference == "2024/14"


def test_the_duplicate_action_creates_a_draft(client_admin, grille_2024_14):
    reponse = client_admin.post(
        "/admin/tarifs/grilletarifaire/",
        {"action": "dupliquer", "_selected_action": [grille_2024_14.pk]},
        follow=True,
    )
    assert reponse.status_code == 200
    assert "dupliquée" in reponse.text
    assert GrilleTarifaire.objects.filter(statut="brouillon").count() == 1


def test_the_publish_action_asks_for_confirmation_then_publishes(
    client_admin, grille_2024_14
):
    copie = grille_dupliquer(grille=grille_2024_14)
    copie.date_effet = date(2025, 1, 1)
    copie.save()
    donnees = {"action": "publier", "_selected_action": [copie.pk]}
    confirmation = client_admin.post("/admin/tarifs/grilletarifaire/", donnees)
    assert "Confirmer la publication" in confirmation.text
    copie.refresh_from_db()
    assert copie.statut == "brouillon"
    reponse = client_admin.post(
        "/admin/tarifs/grilletarifaire/", {**donnees, "confirmer": "oui"}, follow=True
    )
    assert "publiée" in reponse.text
    copie.refresh_from_db()
    assert copie.statut == "publiee"


def test_the_publish_action_refuses_an_invalid_grid(client_admin, grille_2024_14):
    copie = grille_dupliquer(grille=grille_2024_14)  # même date d'effet : refusée
    reponse = client_admin.post(
        "/admin/tarifs/grilletarifaire/",
        {"action": "publier", "_selected_action": [copie.pk], "confirmer": "oui"},
        follow=True,
    )
    assert "non publiée" in reponse.text
    copie.refresh_from_db()
    assert copie.statut == "brouillon"
