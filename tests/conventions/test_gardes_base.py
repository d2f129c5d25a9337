"""Une convention partie en signature est un document figé, sous le modèle
aussi : les déclencheurs des deux moteurs limitent les transitions d'état à
celles du service, n'acceptent « signée » qu'avec les trois signatures,
refusent de réécrire ce qui a été envoyé ou signé, et de l'effacer."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection

from conventions.models import Convention, Signature, TermesConvention
from tests.base_de_donnees import refus_de_la_base, remplacer, sql, vider
from tests.factories import CollectiviteFactory, ConventionFactory, SignatureFactory

pytestmark = pytest.mark.django_db


_refuse = refus_de_la_base


def _signer(convention, *parties):
    for partie in parties:
        SignatureFactory(convention=convention, partie=partie)


@pytest.fixture
def en_signature(grille_2024_14):
    return ConventionFactory(grille=grille_2024_14, statut="en_signature")


@pytest.mark.parametrize(
    "depart, arrivee",
    [
        ("brouillon", "signee"),
        ("brouillon", "resiliee"),
        ("en_signature", "brouillon"),
        ("signee", "en_signature"),
        ("signee", "brouillon"),
        ("resiliee", "signee"),
        ("expiree", "signee"),
    ],
)
def test_the_database_refuses_a_state_change_the_services_never_make(
    grille_2024_14, depart, arrivee
):
    convention = ConventionFactory(
        grille=grille_2024_14,
        statut=depart,
        resiliation_date=datetime.date(2025, 1, 1),
        resiliation_motif="Fin",
    )
    if depart not in ("resiliee", "expiree"):
        _signer(convention, "collectivite", "fibre", "cdg")

    message = _refuse(
        lambda: Convention.objects.filter(pk=convention.pk).update(statut=arrivee)
    )

    assert "n'est pas permis" in message or "ne change plus" in message
    assert Convention.objects.get(pk=convention.pk).statut == depart


def test_the_database_refuses_signed_with_one_signature(en_signature):
    _signer(en_signature, "collectivite")

    message = _refuse(
        lambda: Convention.objects.filter(pk=en_signature.pk).update(statut="signee")
    )

    assert "signature des trois parties" in message
    assert Convention.objects.get(pk=en_signature.pk).statut == "en_signature"


def test_the_database_lets_the_third_signature_sign(en_signature):
    _signer(en_signature, "collectivite", "fibre", "cdg")

    Convention.objects.filter(pk=en_signature.pk).update(statut="signee")

    assert Convention.objects.get(pk=en_signature.pk).statut == "signee"


@pytest.mark.parametrize(
    "champs",
    [
        {"pdf_envoye": "conventions/autre.pdf"},
        {"pdf_envoye_sha256": "0" * 64},
        {"collectivite_id": None},
    ],
    ids=lambda champs: next(iter(champs)),
)
def test_the_database_refuses_to_rewrite_a_convention_sent_for_signature(
    en_signature, champs
):
    Convention.objects.filter(pk=en_signature.pk).update(
        pdf_envoye="conventions/envoyee.pdf", pdf_envoye_sha256="a" * 64
    )
    if "collectivite_id" in champs:
        champs = {"collectivite_id": CollectiviteFactory().pk}

    message = _refuse(
        lambda: Convention.objects.filter(pk=en_signature.pk).update(**champs)
    )

    assert "ne peut plus être modifiée" in message
    en_signature.refresh_from_db()
    assert en_signature.pdf_envoye.name == "conventions/envoyee.pdf"


def test_the_database_refuses_to_delete_a_convention_sent_for_signature(en_signature):
    message = _refuse(
        sql("DELETE FROM conventions_convention WHERE id = %s", [en_signature.pk])
    )

    assert "ne se supprime pas" in message
    assert Convention.objects.filter(pk=en_signature.pk).exists()


def test_the_database_refuses_to_rewrite_or_delete_a_signature(en_signature):
    _signer(en_signature, "collectivite")
    signatures = Signature.objects.filter(convention=en_signature)

    assert "ne se modifie plus" in _refuse(
        lambda: signatures.update(signataire_nom="X")
    )
    assert "ne se supprime pas" in _refuse(
        lambda: signatures._raw_delete(signatures.db)
    )
    assert signatures.get().signataire_nom == "Dominique Durand"


def test_the_database_refuses_to_replace_a_signature(en_signature):
    _signer(en_signature, "collectivite")
    signature = Signature.objects.get(convention=en_signature)

    message = _refuse(
        remplacer("conventions_signature", signature.pk, "signataire_nom", "'X'")
    )

    assert "signature enregistrée" in message
    assert Signature.objects.get(pk=signature.pk).signataire_nom == "Dominique Durand"


def test_the_database_refuses_a_signature_on_a_terminated_convention(grille_2024_14):
    convention = ConventionFactory(
        grille=grille_2024_14,
        statut="resiliee",
        resiliation_date=datetime.date(2025, 1, 1),
        resiliation_motif="Fin",
    )

    message = _refuse(lambda: _signer(convention, "collectivite"))

    assert "ne se signe plus" in message
    assert not Signature.objects.filter(convention=convention).exists()


@pytest.mark.parametrize(
    "table", ["conventions_convention", "conventions_collectivite"]
)
def test_the_database_refuses_to_empty_a_table_holding_a_sent_convention(
    en_signature, table
):
    if table == "conventions_collectivite" and connection.vendor != "postgresql":
        pytest.skip("la cascade d'un TRUNCATE n'existe que sous PostgreSQL")
    assert "ne se supprime pas" in _refuse(vider(table))
    assert Convention.objects.filter(pk=en_signature.pk).exists()


def test_the_database_refuses_to_change_published_terms(db):
    termes = TermesConvention.objects.filter(statut="publiee").first()

    message = _refuse(
        lambda: TermesConvention.objects.filter(pk=termes.pk).update(preavis_mois=0)
    )

    assert "termes ne peut plus être modifiée" in message
    assert (
        TermesConvention.objects.get(pk=termes.pk).preavis_mois == termes.preavis_mois
    )


def test_the_database_lets_a_draft_convention_change_and_go(grille_2024_14):
    convention = ConventionFactory(grille=grille_2024_14)
    autre = CollectiviteFactory()

    Convention.objects.filter(pk=convention.pk).update(collectivite=autre)
    Convention.objects.filter(pk=convention.pk).delete()

    assert not Convention.objects.filter(pk=convention.pk).exists()
