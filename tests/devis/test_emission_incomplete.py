"""Un devis ne s'émet pas tant qu'il imprimerait un fait « à compléter »."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from conventions.models import Collectivite, Organisme
from devis import services
from devis.models import Devis

EMETTEUR = [
    ("statut_juridique", "le statut juridique"),
    ("adresse", "l'adresse"),
    ("code_postal", "le code postal"),
    ("ville", "la ville"),
    ("siret", "le SIRET"),
    ("mention_tva", "la mention TVA"),
    ("signataire_nom", "le nom du signataire"),
    ("signataire_qualite", "la qualité du signataire"),
]


@pytest.mark.parametrize(("champ", "libelle"), EMETTEUR)
def test_issuing_is_refused_when_an_issuer_fact_is_missing(
    brouillon_fibre, alice_agent, champ, libelle
):
    Organisme.objects.filter(code="fibre").update(**{champ: ""})
    organisme = Organisme.objects.get(code="fibre")

    with pytest.raises(ValidationError) as refus:
        services.devis_emettre(devis=brouillon_fibre, par=alice_agent)

    assert f"{libelle} de {organisme.nom}" in " ".join(refus.value.messages)
    brouillon_fibre.refresh_from_db()
    assert brouillon_fibre.est_brouillon and not brouillon_fibre.numero


@pytest.mark.parametrize(
    ("champs", "libelle"),
    [
        ({"adresse": ""}, "l'adresse"),
        ({"code_postal": ""}, "le code postal"),
        ({"ville": ""}, "la commune de l'adresse"),
        ({"siren": "", "siret": ""}, "le SIREN ou le SIRET"),
        ({"code_insee": ""}, "le code INSEE"),
    ],
)
def test_issuing_is_refused_when_a_recipient_fact_is_missing(
    brouillon_fibre, alice_agent, champs, libelle
):
    Collectivite.objects.filter(pk=brouillon_fibre.collectivite_id).update(**champs)

    with pytest.raises(ValidationError) as refus:
        services.devis_emettre(devis=brouillon_fibre, par=alice_agent)

    assert f"{libelle} de Ruitz" in " ".join(refus.value.messages)
    assert not Devis.objects.filter(numero__gt="").exists()


def test_a_recipient_with_only_a_siren_prints_the_siren(brouillon_fibre, alice_agent):
    Collectivite.objects.filter(pk=brouillon_fibre.collectivite_id).update(siret="")

    devis = services.devis_emettre(devis=brouillon_fibre, par=alice_agent)

    assert devis.destinataire_fige["siren"]
    assert devis.numero


def test_the_draft_page_lists_what_is_missing_with_links(
    client, alice_agent, brouillon_fibre
):
    Organisme.objects.filter(code="fibre").update(siret="")
    organisme = Organisme.objects.get(code="fibre")
    client.force_login(alice_agent)

    reponse = client.get(reverse("devis:detail", args=[brouillon_fibre.pk]))

    texte = reponse.content.decode()
    assert "Le SIRET de La Fibre" in texte
    assert reverse("admin:conventions_organisme_change", args=[organisme.pk]) in texte
