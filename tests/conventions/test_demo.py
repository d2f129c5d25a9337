from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from comptes.models import Utilisateur
from conventions.models import Adhesion, Collectivite, Convention, Signature


@pytest.fixture
def demo(db, settings):
    settings.DEBUG = True
    sortie = io.StringIO()
    call_command("charger_demo", stdout=sortie)
    return sortie.getvalue()


def _statut(nom: str) -> str:
    return Convention.objects.get(collectivite__nom=nom).statut


def test_the_demo_sits_on_real_communes_of_the_referentiel(demo):
    ruitz = Collectivite.objects.get(code_insee="62727")

    assert (ruitz.nom, ruitz.siren, ruitz.referentiel_millesime) == (
        "Ruitz",
        "216207274",
        2023,
    )
    assert Collectivite.objects.filter(code_insee="62727").count() == 1
    assert Collectivite.objects.filter(nom="Ruitz").count() == 1
    assert Collectivite.objects.filter(type="commune").count() == 887
    assert Collectivite.objects.filter(type="epci").count() == 20
    assert not Collectivite.objects.filter(referentiel_millesime__isnull=True).exists()
    assert "référentiel officiel" in demo


def test_the_demo_conventions_are_in_various_states(demo):
    assert _statut("Ruitz") == Convention.Statut.SIGNEE
    assert _statut("Quercamps") == Convention.Statut.SIGNEE
    assert _statut("Auchy-les-Mines") == Convention.Statut.EN_SIGNATURE
    assert _statut("Beuvry") == Convention.Statut.BROUILLON
    assert _statut("Bonnières") == Convention.Statut.RESILIEE
    assert _statut("Burbure") == Convention.Statut.EXPIREE
    ruitz = Convention.objects.get(collectivite__nom="Ruitz")
    assert ruitz.signatures.count() == 3
    assert ruitz.grille.reference == "2024/14"
    assert (
        0
        < Convention.objects.get(collectivite__nom="Auchy-les-Mines").signatures.count()
        < 3
    )
    bonnieres = Convention.objects.get(collectivite__nom="Bonnières")
    assert bonnieres.resiliation_date and bonnieres.resiliation_motif


def test_the_demo_secretaries_belong_to_their_communes(demo):
    secretaire = Utilisateur.objects.get(email="secretaire@demo.mairie.fr")
    consultation = Utilisateur.objects.get(email="consultation@demo.mairie.fr")

    assert secretaire.check_password("demo-mairie-62")
    assert consultation.check_password("demo-mairie-62")
    assert secretaire.role == consultation.role == Utilisateur.Role.PORTAIL
    assert not secretaire.est_agent
    assert {(a.collectivite.nom, a.role) for a in secretaire.adhesions.all()} == {
        ("Ruitz", "signataire"),
        ("Quercamps", "signataire"),
    }
    assert {(a.collectivite.nom, a.role) for a in consultation.adhesions.all()} == {
        ("Ruitz", "consultation")
    }
    assert "secretaire@demo.mairie.fr / demo-mairie-62" in demo
    assert "consultation@demo.mairie.fr / demo-mairie-62" in demo


def test_loading_the_demo_twice_is_harmless(demo):
    comptes = [
        Collectivite.objects.count(),
        Convention.objects.count(),
        Signature.objects.count(),
        Adhesion.objects.count(),
        Utilisateur.objects.count(),
    ]

    call_command("charger_demo", stdout=io.StringIO())

    assert comptes == [
        Collectivite.objects.count(),
        Convention.objects.count(),
        Signature.objects.count(),
        Adhesion.objects.count(),
        Utilisateur.objects.count(),
    ]


def test_the_demo_convention_of_ruitz_renders_as_a_pdf(demo):
    from conventions.pdf import convention_pdf

    pdf = convention_pdf(Convention.objects.get(collectivite__nom="Ruitz"))

    assert pdf.startswith(b"%PDF-")
