"""Écriture des documents à l'émission et au dépôt : rien d'orphelin, rien de
partiel, un disque plein ou en lecture seule donne un refus en français."""

from __future__ import annotations

import errno
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from conventions import services as services_conventions
from conventions.fichiers import MESSAGES_ECRITURE
from conventions.models import Convention, stockage_prive
from devis import services
from devis.models import CompteurDevis, Devis
from tests.factories import pdf_octets

pytestmark = pytest.mark.django_db


class _Annulation(Exception):
    pass


def _fichiers(racine: Path) -> list[Path]:
    return sorted(p for p in racine.rglob("*") if p.is_file())


@pytest.fixture
def disque(monkeypatch, stockage_prive_temporaire):
    """``disque(errno)`` : l'écriture commence (fichier partiel) puis échoue."""

    def panne(code):
        def _save(name, content):
            Path(stockage_prive.path(name)).parent.mkdir(parents=True, exist_ok=True)
            Path(stockage_prive.path(name)).write_bytes(b"%PDF-1.7 partiel")
            raise OSError(code, "erreur simulée")

        monkeypatch.setattr(stockage_prive, "_save", _save)

    return panne


def test_a_rolled_back_issue_leaves_no_file_named_after_its_number(
    brouillon_fibre, brouillon_cdg, alice_agent, stockage_prive_temporaire
):
    racine = Path(stockage_prive_temporaire.location)
    with pytest.raises(_Annulation), transaction.atomic():
        annule = services.devis_emettre(devis=brouillon_fibre, par=alice_agent)
        numero = annule.numero
        raise _Annulation

    orphelins = _fichiers(racine)
    assert numero not in " ".join(p.name for p in orphelins)
    garde = services.devis_emettre(devis=brouillon_cdg, par=alice_agent)

    call_command(
        "nettoyer_fichiers_orphelins", minutes=0, stdout=open("/dev/null", "w")
    )

    assert _fichiers(racine) == [Path(garde.pdf.path)]
    assert Devis.objects.get(pk=brouillon_fibre.pk).statut == Devis.Statut.BROUILLON


def test_the_sweep_spares_recent_files_of_transactions_still_running(
    brouillon_fibre, alice_agent, stockage_prive_temporaire
):
    racine = Path(stockage_prive_temporaire.location)
    with pytest.raises(_Annulation), transaction.atomic():
        services.devis_emettre(devis=brouillon_fibre, par=alice_agent)
        raise _Annulation

    call_command("nettoyer_fichiers_orphelins", stdout=open("/dev/null", "w"))

    assert len(_fichiers(racine)) == 1  # moins d'une heure : peut-être en cours


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EROFS])
def test_a_full_or_read_only_disk_at_issue_is_refused_in_french_and_consumes_no_number(
    brouillon_fibre, alice_agent, disque, monkeypatch, stockage_prive_temporaire, code
):
    disque(code)

    with pytest.raises(ValidationError) as erreur:
        services.devis_emettre(devis=brouillon_fibre, par=alice_agent)

    assert erreur.value.messages == [MESSAGES_ECRITURE[code]]
    assert _fichiers(Path(stockage_prive_temporaire.location)) == []
    brouillon_fibre.refresh_from_db()
    assert (brouillon_fibre.statut, brouillon_fibre.numero) == ("brouillon", None)
    assert not CompteurDevis.objects.filter(dernier__gt=0).exists()
    monkeypatch.undo()
    emis = services.devis_emettre(devis=brouillon_fibre, par=alice_agent)
    assert emis.numero == f"LFN5962-{timezone.localdate().year}-0001"


def test_a_full_disk_at_issue_through_the_view_shows_the_message_not_a_500(
    client, brouillon_fibre, alice_agent, disque, stockage_prive_temporaire
):
    disque(errno.ENOSPC)
    client.force_login(alice_agent)

    reponse = client.post(f"/gestion/devis/{brouillon_fibre.pk}/emettre", follow=True)

    assert reponse.status_code == 200
    assert "Le disque du serveur est plein" in reponse.content.decode()
    brouillon_fibre.refresh_from_db()
    assert brouillon_fibre.statut == Devis.Statut.BROUILLON
    assert _fichiers(Path(stockage_prive_temporaire.location)) == []


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EROFS])
def test_a_full_or_read_only_disk_refuses_the_scan_and_stores_nothing(
    ruitz, alice_agent, disque, stockage_prive_temporaire, code
):
    convention = ruitz.conventions.get()
    disque(code)

    with pytest.raises(ValidationError) as erreur:
        services_conventions.convention_deposer_scan(
            convention=convention,
            fichier=SimpleUploadedFile("scan.pdf", pdf_octets()),
            par=alice_agent,
        )

    assert erreur.value.messages == [MESSAGES_ECRITURE[code]]
    assert _fichiers(Path(stockage_prive_temporaire.location)) == []
    convention = Convention.objects.get(pk=convention.pk)
    assert not convention.scan and convention.scan_sha256 == ""
