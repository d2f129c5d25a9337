"""Les clés de signature : une par certificat accepté, titulaire et remise
enregistrés par l'agent, expiration = remise + validité ; listées au tableau de
bord avant leur expiration [param] ou quand leur titulaire est parti, avec
« préparer le renouvellement » (un brouillon de devis en un clic)."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from abonnements import cles
from abonnements.models import CleSignature, ParametresRelances
from devis import services as devis_services
from devis.models import Devis
from tarifs.calcul import LigneDemandee

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("pdf_rapide")]


@pytest.fixture
def deux_cles(ruitz, alice_agent) -> list[CleSignature]:
    for brouillon in devis_services.devis_creer_brouillons(
        collectivite=ruitz, lignes=[LigneDemandee("cle-1an-cdg", 2)], par=alice_agent
    ):
        devis = devis_services.devis_emettre(devis=brouillon, par=alice_agent)
        devis_services.devis_accepter(
            devis=devis,
            signataire_nom="Jeanne Dupont",
            signataire_qualite="Maire",
            par=alice_agent,
            canal="papier",
        )
    return list(CleSignature.objects.filter(collectivite=ruitz).order_by("rang"))


def _remettre(cle, nom, jour, agent):
    return cles.cle_remettre(
        cle=cle,
        titulaire_nom=nom,
        titulaire_fonction="Maire",
        remise_le=jour,
        par=agent,
    )


def test_each_accepted_certificate_is_a_key_to_hand_over(deux_cles):
    assert len(deux_cles) == 2  # la ligne du CDG (remise) ne double pas la clé
    assert {c.statut for c in deux_cles} == {CleSignature.Statut.A_REMETTRE}
    assert {(c.validite_annees, c.mode_remise) for c in deux_cles} == {(1, "cdg")}


def test_handing_over_records_the_holder_and_computes_the_expiry(
    deux_cles, alice_agent
):
    with pytest.raises(ValidationError) as refus:
        cles.cle_remettre(
            cle=deux_cles[0],
            titulaire_nom=" ",
            titulaire_fonction="",
            remise_le=None,
            par=alice_agent,
        )
    cle = _remettre(
        deux_cles[0], "Jeanne Dupont", datetime.date(2024, 2, 29), alice_agent
    )

    assert refus.value.messages == [
        "Indiquez le nom du titulaire de la clé.",
        "Indiquez la fonction du titulaire de la clé.",
        "Indiquez la date de remise de la clé.",
    ]
    assert (cle.statut, cle.expire_le) == ("active", datetime.date(2025, 2, 28))


def test_a_key_expiring_within_the_delay_is_on_the_dashboard_with_one_click_renewal(
    agent, deux_cles, alice_agent
):
    jour = timezone.localdate()
    bientot = _remettre(
        deux_cles[0],
        "Jeanne Dupont",
        jour.replace(year=jour.year - 1) + datetime.timedelta(days=30),
        alice_agent,
    )
    _remettre(deux_cles[1], "Paul Martin", jour, alice_agent)  # expire dans un an

    bord = agent.get("/gestion/").content.decode()
    reponse = agent.post(f"/gestion/abonnements/cles/{bientot.pk}/renouveler")

    assert "Clés de signature à renouveler" in bord
    assert "Jeanne Dupont" in bord and "Paul Martin" not in bord
    brouillon = Devis.objects.filter(statut="brouillon").latest("pk")
    assert reponse["Location"] == f"/gestion/devis/{brouillon.pk}/"
    assert [(li.code, li.quantite) for li in brouillon.lignes.all()] == [
        ("cle-1an-cdg", 1)
    ]


def test_the_listing_delay_is_a_parameter(deux_cles, alice_agent):
    jour = timezone.localdate()
    cle = _remettre(
        deux_cles[0],
        "Jeanne Dupont",
        jour - datetime.timedelta(days=365 - 90),
        alice_agent,
    )

    avant = list(cles.cles_a_renouveler(jour))
    ParametresRelances.objects.update_or_create(
        pk=1, defaults={"cles_jours_avant_expiration": 120}
    )

    assert cle not in avant
    assert cle in list(cles.cles_a_renouveler(jour))


def test_a_new_signatory_flags_the_previous_holders_keys(
    agent, deux_cles, alice_agent, ruitz
):
    jour = timezone.localdate()
    _remettre(deux_cles[0], "Jeanne Dupont", jour, alice_agent)
    _remettre(deux_cles[1], "Paul Martin", jour, alice_agent)

    reponse = agent.post(
        f"/gestion/abonnements/collectivites/{ruitz.pk}/signataire",
        {"nom": "Paul Martin"},
        follow=True,
    )

    statuts = dict(CleSignature.objects.values_list("titulaire_nom", "statut"))
    assert statuts == {"Jeanne Dupont": "parti", "Paul Martin": "active"}
    assert "1 clé(s) signalée(s) « titulaire parti »" in reponse.content.decode()
    assert "Jeanne Dupont" in agent.get("/gestion/").content.decode()


# --- Le titulaire demandé au bon pour accord ------------------------------------

ACCORD = {
    "acceptation-signataire_nom": "Jeanne Dupont",
    "acceptation-signataire_qualite": "Maire",
    "acceptation-engagement": "on",
}


def test_the_portal_agreement_asks_for_the_key_holder_and_records_it(
    client, monde_portail
):
    client.force_login(monde_portail.sophie)
    url = f"/portail/{monde_portail.ruitz.pk}/devis/{monde_portail.fibre.pk}/"
    page = client.get(url).content.decode()
    assert "Titulaire de la clé de signature" in page

    reponse = client.post(
        url + "accepter",
        {
            **ACCORD,
            "acceptation-titulaire_cle_nom": "Jeanne Dupont",
            "acceptation-titulaire_cle_fonction": "Maire",
        },
    )

    assert reponse.status_code == 302
    (cle,) = CleSignature.objects.filter(collectivite=monde_portail.ruitz)
    assert (cle.titulaire_nom, cle.titulaire_fonction, cle.statut) == (
        "Jeanne Dupont",
        "Maire",
        CleSignature.Statut.A_REMETTRE,
    )
    # À la remise, l'agent retrouve le titulaire déjà saisi.
    client.force_login(monde_portail.alice)
    fiche = client.get(f"/gestion/collectivites/{monde_portail.ruitz.pk}/")
    assert 'value="Jeanne Dupont"' in fiche.content.decode()


def test_a_half_filled_key_holder_is_refused_in_french_and_nothing_is_accepted(
    client, monde_portail
):
    client.force_login(monde_portail.sophie)
    url = f"/portail/{monde_portail.ruitz.pk}/devis/{monde_portail.fibre.pk}/"

    reponse = client.post(
        url + "accepter", {**ACCORD, "acceptation-titulaire_cle_nom": "Jeanne Dupont"}
    )

    assert reponse.status_code == 200
    assert "Indiquez la fonction du titulaire de la clé." in reponse.content.decode()
    monde_portail.fibre.refresh_from_db()
    assert monde_portail.fibre.statut == Devis.Statut.EMIS
    assert not CleSignature.objects.exists()


def test_a_devis_without_keys_does_not_ask_for_a_holder(monde_portail, agent):
    (sans_cle,) = devis_services.devis_creer_brouillons(
        collectivite=monde_portail.ruitz,
        lignes=[LigneDemandee("nom-de-domaine", 1)],
        par=monde_portail.alice,
    )
    sans_cle = devis_services.devis_emettre(devis=sans_cle, par=monde_portail.alice)

    page = agent.get(f"/gestion/devis/{sans_cle.pk}/").content.decode()
    avec_cle = agent.get(f"/gestion/devis/{monde_portail.fibre.pk}/").content.decode()

    assert "Titulaire de la clé de signature" not in page
    assert "Titulaire de la clé de signature" in avec_cle


def test_a_paper_acceptance_records_the_key_holder(agent, monde_portail):
    reponse = agent.post(
        f"/gestion/devis/{monde_portail.fibre.pk}/accepter",
        {
            "acceptation-signataire_nom": "Jeanne Dupont",
            "acceptation-signataire_qualite": "Maire",
            "acceptation-titulaire_cle_nom": "Paul Martin",
            "acceptation-titulaire_cle_fonction": "Adjoint au maire",
        },
    )

    assert reponse.status_code == 302
    (cle,) = CleSignature.objects.all()
    assert (cle.titulaire_nom, cle.titulaire_fonction) == (
        "Paul Martin",
        "Adjoint au maire",
    )
