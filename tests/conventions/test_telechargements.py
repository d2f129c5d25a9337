"""Téléchargement des documents stockés : empreinte vérifiée à chaque fois.

Les quatre vues (scan signé côté agents et côté portail, PDF de devis émis côté
agents et côté portail) passent par ``reponse_fichier_prive`` : un fichier
modifié sur le disque n'est jamais servi (page 409 en français, incident
journalisé), un fichier absent donne une 404, jamais une 500.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

import pytest
from django.core.files.base import ContentFile

from conventions.models import Convention
from tests.factories import (
    devis_emis_pour,
    pdf_octets,
)

pytestmark = pytest.mark.usefixtures("pdf_rapide")


@pytest.fixture
def convention(ruitz):
    """La convention signée de Ruitz, avec son scan déposé."""
    convention = ruitz.conventions.get(statut=Convention.Statut.SIGNEE)
    scan = pdf_octets(pages=2)
    convention.scan_sha256 = hashlib.sha256(scan).hexdigest()
    convention.scan.save("scan.pdf", ContentFile(scan))
    return convention


@pytest.fixture
def devis(ruitz, alice_agent):
    fibre, _ = devis_emis_pour(ruitz, par=alice_agent)
    return fibre


def urls(ruitz, convention, devis) -> dict[str, str]:
    return {
        "scan_gestion": f"/gestion/conventions/{convention.pk}/scan/",
        "scan_portail": f"/portail/{ruitz.pk}/conventions/{convention.pk}/scan",
        "devis_gestion": f"/gestion/devis/{devis.pk}/pdf",
        "devis_portail": f"/portail/{ruitz.pk}/devis/{devis.pk}/pdf",
    }


CAS = ["scan_gestion", "scan_portail", "devis_gestion", "devis_portail"]


def _fichier(cas, convention, devis):
    return convention.scan if cas.startswith("scan") else devis.pdf


def _connecter(client, cas, alice_agent, sophie):
    client.force_login(alice_agent if cas.endswith("gestion") else sophie)


@pytest.mark.parametrize("cas", CAS)
def test_an_intact_document_is_served_privately_with_its_exact_bytes(
    client, cas, ruitz, convention, devis, alice_agent, sophie
):
    _connecter(client, cas, alice_agent, sophie)
    with _fichier(cas, convention, devis).open("rb") as f:
        attendu = f.read()

    reponse = client.get(urls(ruitz, convention, devis)[cas])

    assert reponse.status_code == 200
    assert reponse["Content-Type"] == "application/pdf"
    assert reponse["Cache-Control"] == "private, no-store"
    assert reponse["Content-Disposition"].startswith("attachment; filename=")
    assert b"".join(reponse.streaming_content) == attendu


@pytest.mark.parametrize("cas", CAS)
def test_a_document_overwritten_on_disk_is_refused_and_logged(
    client, cas, ruitz, convention, devis, alice_agent, sophie, caplog
):
    _connecter(client, cas, alice_agent, sophie)
    chemin = Path(_fichier(cas, convention, devis).path)
    chemin.write_bytes(pdf_octets(pages=3))  # un autre PDF, valide mais altéré

    with caplog.at_level(logging.ERROR, logger="conventions.fichiers"):
        reponse = client.get(urls(ruitz, convention, devis)[cas])

    assert reponse.status_code == 409
    assert reponse["Content-Type"].startswith("text/html")
    assert "ne correspond plus à l'empreinte" in reponse.content.decode()
    assert b"%PDF" not in reponse.content
    assert any("altéré" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("cas", CAS)
def test_a_document_missing_on_disk_gives_a_404_not_a_500(
    client, cas, ruitz, convention, devis, alice_agent, sophie
):
    _connecter(client, cas, alice_agent, sophie)
    Path(_fichier(cas, convention, devis).path).unlink()

    reponse = client.get(urls(ruitz, convention, devis)[cas])

    assert reponse.status_code == 404
    assert "Page introuvable" in reponse.content.decode()


def test_a_stored_scan_without_a_recorded_sha256_is_not_served(
    client, ruitz, convention, devis, alice_agent
):
    Convention.objects.filter(pk=convention.pk).update(scan_sha256="")
    client.force_login(alice_agent)

    reponse = client.get(urls(ruitz, convention, devis)["scan_gestion"])

    assert reponse.status_code == 409
