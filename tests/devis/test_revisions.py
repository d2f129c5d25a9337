"""Révision d'un devis émis (domaine §12) : un brouillon du même émetteur et de
la même demande ; l'émettre passe l'ancien à l'état final « remplacé » ; la
chaîne se lit sur les deux ; le portail ne montre que la version en cours."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from devis import services
from devis.models import Devis
from tests.base_de_donnees import refus_de_la_base

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("pdf_rapide")]


def test_revising_opens_a_draft_of_the_same_issuer_and_request(devis_emis, alice_agent):
    revision = services.devis_reviser(devis=devis_emis, par=alice_agent)

    assert revision.est_brouillon
    assert (revision.emetteur_id, revision.demande_id) == (
        devis_emis.emetteur_id,
        devis_emis.demande_id,
    )
    assert revision.remplace == devis_emis
    assert [ligne.code for ligne in revision.lignes.all()] == [
        ligne.code for ligne in devis_emis.lignes.all()
    ]
    devis_emis.refresh_from_db()
    assert devis_emis.statut == Devis.Statut.EMIS


def test_issuing_the_revision_replaces_the_old_devis(agent, devis_emis, alice_agent):
    revision = services.devis_reviser(devis=devis_emis, par=alice_agent)

    emise = services.devis_emettre(devis=revision, par=alice_agent)

    devis_emis.refresh_from_db()
    assert devis_emis.statut == Devis.Statut.REMPLACE
    assert emise.numero != devis_emis.numero
    assert (
        devis_emis.evenements.last().commentaire
        == f"Remplacé par le devis {emise.numero}."
    )
    ancienne = agent.get(f"/gestion/devis/{devis_emis.pk}/").content.decode()
    nouvelle = agent.get(f"/gestion/devis/{emise.pk}/").content.decode()
    assert "Remplacé par le devis" in ancienne and emise.numero in ancienne
    assert "remplace le devis" in nouvelle and devis_emis.numero in nouvelle


def test_a_devis_has_one_revision_and_an_accepted_one_none(devis_emis, alice_agent):
    services.devis_reviser(devis=devis_emis, par=alice_agent)

    with pytest.raises(ValidationError) as deuxieme:
        services.devis_reviser(devis=devis_emis, par=alice_agent)

    assert "a déjà une révision" in deuxieme.value.messages[0]


def test_an_accepted_devis_is_not_revised(devis_emis, alice_agent):
    services.devis_accepter(
        devis=devis_emis,
        signataire_nom="Jeanne Dupont",
        signataire_qualite="Maire",
        par=alice_agent,
        canal="papier",
    )

    with pytest.raises(ValidationError) as refus:
        services.devis_reviser(devis=devis_emis, par=alice_agent)

    assert "seul un devis émis, refusé ou expiré se révise" in refus.value.messages[0]


def test_the_portal_shows_only_the_current_version(
    client, devis_emis, alice_agent, ruitz, sophie
):
    emise = services.devis_emettre(
        devis=services.devis_reviser(devis=devis_emis, par=alice_agent), par=alice_agent
    )
    client.force_login(sophie)

    page = client.get(f"/portail/{ruitz.pk}/").content.decode()

    assert emise.numero in page
    assert f"remplace {devis_emis.numero}" in page
    assert f">{devis_emis.numero}<" not in page


def test_the_database_keeps_replaced_final(devis_emis, alice_agent):
    services.devis_emettre(
        devis=services.devis_reviser(devis=devis_emis, par=alice_agent), par=alice_agent
    )

    message = refus_de_la_base(
        lambda: Devis.objects.filter(pk=devis_emis.pk).update(statut="emis")
    )

    assert "changement d'état du devis n'est pas permis" in message


def test_an_agent_revises_from_the_devis_page(agent, devis_emis):
    reponse = agent.post(f"/gestion/devis/{devis_emis.pk}/reviser")

    revision = Devis.objects.get(remplace=devis_emis)
    assert reponse["Location"] == f"/gestion/devis/{revision.pk}/"
