"""La campagne de renouvellement dans un vrai navigateur : lancée depuis le back
office, elle attend le worker ; la barre de progression avance seule (htmx)
jusqu'à « Terminé », à 390 px comme à 1 366 px."""

from __future__ import annotations

import datetime
import io
from pathlib import Path

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from abonnements.models import Abonnement
from tests.factories import devis_emis_pour
from tests.navigateur.outils import commune_conventionnee, grille_et_agent, se_connecter

pytestmark = [
    pytest.mark.navigateur,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

CAPTURES = Path(__file__).resolve().parent / "captures"


def test_the_progress_bar_moves_to_done_when_the_worker_runs(onglet, settings):
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
    }
    _grille, agent = grille_et_agent()
    ruitz = commune_conventionnee(_grille)
    fibre, _cdg = devis_emis_pour(ruitz, par=agent)
    from devis import services

    services.devis_accepter(
        devis=fibre,
        signataire_nom="Jeanne Dupont",
        signataire_qualite="Maire",
        par=agent,
        canal="papier",
    )
    assert Abonnement.objects.filter(collectivite=ruitz).exists()
    annee = datetime.date.today().year + 1
    page = onglet
    se_connecter(page, agent.email)

    page.goto("/gestion/abonnements/renouvellements/")
    page.get_by_label("Année").fill(str(annee))
    page.get_by_role("button", name="Lancer le renouvellement").click()
    expect(
        page.get_by_role("heading", level=2, name="En attente du traitement")
    ).to_be_visible()
    barre = page.get_by_role("progressbar", name="Avancement du renouvellement")
    expect(barre).to_have_attribute("value", "0")

    call_command("db_worker", "--batch", "--no-startup-delay", stdout=io.StringIO())

    expect(page.get_by_role("heading", level=2, name="Terminé")).to_be_visible()
    expect(barre).to_have_attribute("value", "100")
    expect(page.get_by_text("Créées : 1")).to_be_visible()
    CAPTURES.mkdir(exist_ok=True)
    for largeur in (1366, 390):
        page.set_viewport_size({"width": largeur, "height": 900})
        page.screenshot(path=CAPTURES / f"renouvellement-{largeur}.png", full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth") <= largeur
