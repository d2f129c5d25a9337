"""Données de démonstration des devis et administration en lecture seule."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from devis.models import Devis, LigneDevis

pytestmark = pytest.mark.django_db


def test_the_demo_issues_devis_of_both_issuers_and_is_idempotent(settings):
    settings.DEBUG = True

    call_command("charger_demo", stdout=io.StringIO())
    nombre = Devis.objects.count()
    call_command("charger_demo", stdout=io.StringIO())

    assert Devis.objects.count() == nombre
    emis = Devis.objects.exclude(statut=Devis.Statut.BROUILLON)
    for nom in ("Ruitz", "Quercamps"):
        assert set(
            emis.filter(collectivite__nom=nom).values_list(
                "emetteur__prefixe_numero", flat=True
            )
        ) == {"CDG62", "LFN5962"}
    assert all(d.pdf and d.pdf_sha256 for d in emis)
    accepte = Devis.objects.get(statut=Devis.Statut.ACCEPTE)
    assert (accepte.reponse_canal, accepte.reponse_par.email) == (
        "papier",
        "agent@demo.cdg62.fr",
    )
    a_chiffrer = LigneDevis.objects.get(montant__isnull=True, mode="sur_devis")
    assert a_chiffrer.devis.est_brouillon
    assert a_chiffrer.code == "antivirus-mise-en-service"


def test_the_admin_shows_an_issued_devis_read_only(client, admin_user, devis_emis):
    client.force_login(admin_user)

    liste = client.get(reverse("admin:devis_devis_changelist"))
    fiche = client.get(reverse("admin:devis_devis_change", args=[devis_emis.pk]))
    suppression = client.get(reverse("admin:devis_devis_delete", args=[devis_emis.pk]))

    assert liste.status_code == 200
    assert devis_emis.numero in liste.content.decode()
    assert fiche.status_code == 200
    assert 'name="_save"' not in fiche.content.decode()
    assert suppression.status_code == 403


def test_the_admin_deletes_a_draft_through_the_service(
    client, admin_user, brouillon_cdg
):
    client.force_login(admin_user)

    reponse = client.post(
        reverse("admin:devis_devis_delete", args=[brouillon_cdg.pk]), {"post": "yes"}
    )

    assert reponse.status_code == 302
    assert not Devis.objects.filter(pk=brouillon_cdg.pk).exists()


@pytest.mark.parametrize(
    "modele", ["demandedevis", "envoidevis", "evenementdevis", "compteurdevis"]
)
def test_the_other_devis_admin_pages_are_read_only(
    client, admin_user, devis_emis, modele
):
    client.force_login(admin_user)

    liste = client.get(reverse(f"admin:devis_{modele}_changelist"))

    assert liste.status_code == 200
    assert client.get(reverse(f"admin:devis_{modele}_add")).status_code == 403
