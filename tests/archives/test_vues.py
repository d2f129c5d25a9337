"""Les pages des archives (back office) : liste des exports et formulaire de
lancement (dates à la française, erreurs en français), progression relue par
htmx, rapport, téléchargement du ZIP terminé — agents seulement."""

from __future__ import annotations

import hashlib

import pytest
from django.urls import reverse

from archives import services
from archives.models import ExportArchive
from tests.archives.documents import AU, DU

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("pdf_rapide")]


@pytest.fixture
def termine(periode, alice_agent):
    export = ExportArchive.objects.create(du=DU, au=AU, lance_par=alice_agent)
    return services.export_executer(export.pk)


def test_an_agent_launches_an_export_and_follows_it_to_the_download(
    agent, periode, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        reponse = agent.post(
            reverse("archives:export_lancer"), {"du": "01/05/2024", "au": "31/12/2025"}
        )

    export = ExportArchive.objects.get()
    assert reponse.status_code == 302
    assert reponse["Location"] == reverse("archives:export", args=[export.pk])
    page = agent.get(reponse["Location"]).content.decode()
    assert "Terminé" in page
    assert "4 documents traités sur 4" in page
    assert reverse("archives:export_telecharger", args=[export.pk]) in page
    assert "hx-get" not in page  # terminé : plus de relecture
    telechargement = agent.get(reverse("archives:export_telecharger", args=[export.pk]))
    assert telechargement.status_code == 200
    assert telechargement["Content-Type"] == "application/zip"
    assert telechargement["Cache-Control"] == "private, no-store"
    assert (
        "archives-cdg62-20240501-20251231.zip" in telechargement["Content-Disposition"]
    )
    octets = b"".join(telechargement.streaming_content)
    assert hashlib.sha256(octets).hexdigest() == export.sha256


def test_the_list_shows_past_exports(agent, termine):
    page = agent.get(reverse("archives:exports")).content.decode()

    assert "du 01/05/2024 au 31/12/2025" in page
    assert "Terminé" in page
    assert reverse("archives:export_telecharger", args=[termine.pk]) in page


@pytest.mark.parametrize(
    "donnees, message",
    [
        ({"du": "", "au": "31/12/2025"}, "Indiquez la date de début de la période."),
        ({"du": "01/05/2024", "au": ""}, "Indiquez la date de fin de la période."),
        ({"du": "31/02/2024", "au": "31/12/2025"}, "Saisissez une date valide"),
        ({"du": "hier", "au": "31/12/2025"}, "Saisissez une date valide"),
        (
            {"du": "31/12/2025", "au": "01/05/2024"},
            "La date de fin doit être égale ou postérieure à celle du début.",
        ),
        ({"du": "01/01/1900", "au": "31/12/2025"}, "entre 2000 et 2100"),
        ({"du": "01/01/2024", "au": "01/01/9999"}, "entre 2000 et 2100"),
    ],
)
def test_bad_dates_get_a_french_message_and_start_nothing(agent, donnees, message):
    reponse = agent.post(reverse("archives:export_lancer"), donnees)

    assert reponse.status_code == 200
    assert message in reponse.content.decode()
    assert not ExportArchive.objects.exists()


def test_iso_dates_from_the_browser_picker_are_accepted(
    agent, alice_agent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        agent.post(
            reverse("archives:export_lancer"), {"du": "2024-05-01", "au": "2025-12-31"}
        )

    export = ExportArchive.objects.get()
    assert (export.du, export.au) == (DU, AU)


def test_the_progress_fragment_polls_while_the_export_runs(agent, alice_agent):
    export = ExportArchive.objects.create(
        du=DU, au=AU, lance_par=alice_agent, statut="en_cours", total=8, faites=2
    )

    fragment = agent.get(reverse("archives:export_progression", args=[export.pk]))

    contenu = fragment.content.decode()
    assert 'hx-trigger="every 1s"' in contenu
    assert '<progress class="w-100 mb-1" max="100" value="25"' in contenu
    assert "2 documents traités sur 8" in contenu
    assert "Télécharger" not in contenu


def test_an_unfinished_export_cannot_be_downloaded(agent, alice_agent):
    export = ExportArchive.objects.create(du=DU, au=AU, lance_par=alice_agent)

    reponse = agent.get(reverse("archives:export_telecharger", args=[export.pk]))

    assert reponse.status_code == 404


def test_a_stored_archive_that_was_altered_is_not_served(agent, termine, stockage):
    (stockage / termine.fichier.name).write_bytes(b"PK archive remplacee")

    reponse = agent.get(reverse("archives:export_telecharger", args=[termine.pk]))

    assert reponse.status_code == 409
    assert "ne correspond plus à l'empreinte" in reponse.content.decode()


def test_discarded_documents_are_listed_on_the_export_page(
    agent, periode, stockage, alice_agent
):
    fibre, _ = periode["dedans"]
    (stockage / fibre.pdf.name).write_bytes(b"%PDF-1.7 autre")
    export = ExportArchive.objects.create(du=DU, au=AU, lance_par=alice_agent)
    services.export_executer(export.pk)

    page = agent.get(reverse("archives:export", args=[export.pk])).content.decode()

    assert "Documents écartés de l'archive : 1" in page
    assert f"Devis {fibre.numero}" in page
    assert "document altéré, non archivé" in page


@pytest.mark.parametrize(
    "nom, kwargs",
    [
        ("archives:exports", False),
        ("archives:export", True),
        ("archives:export_progression", True),
        ("archives:export_telecharger", True),
    ],
)
def test_only_agents_reach_the_archive_pages(
    client, termine, charlie_portail, sophie, nom, kwargs
):
    url = reverse(nom, args=[termine.pk] if kwargs else [])

    anonyme = client.get(url)
    assert anonyme.status_code == 302
    assert anonyme["Location"].startswith("/connexion/")
    for utilisateur in (charlie_portail, sophie):
        client.force_login(utilisateur)
        assert client.get(url).status_code == 403


def test_only_agents_launch_an_export(client, sophie):
    url = reverse("archives:export_lancer")
    assert client.post(url, {"du": "01/05/2024", "au": "31/12/2025"}).status_code == 302
    client.force_login(sophie)
    assert client.post(url, {"du": "01/05/2024", "au": "31/12/2025"}).status_code == 403
    assert not ExportArchive.objects.exists()
