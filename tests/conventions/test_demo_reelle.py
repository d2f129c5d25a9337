"""La démonstration sur les vraies communes : aucun doublon, rien « à compléter »."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from pypdf import PdfReader

from conventions.models import Collectivite, Convention, Organisme, TermesConvention
from devis.models import Devis

# Les termes tels que la migration les laisse : aucune version publiée (la
# démonstration publie les siens).
pytestmark = pytest.mark.sans_termes


@pytest.fixture
def demo(db, settings):
    settings.DEBUG = True
    # Les émetteurs tels que la migration les pose : faits absents vides.
    Organisme.objects.filter(code="fibre").update(
        adresse="",
        code_postal="",
        ville="",
        siret="",
        mention_tva="",
        signataire_nom="",
        signataire_qualite="",
    )
    assert not TermesConvention.objects.exists()
    call_command("charger_demo", stdout=io.StringIO())


def _texte(champ) -> str:
    with champ.open("rb") as fichier:
        lecteur = PdfReader(io.BytesIO(fichier.read()))
    return " ".join(page.extract_text() for page in lecteur.pages)


def test_the_demo_creates_no_duplicate_commune(demo):
    call_command("charger_demo", stdout=io.StringIO())

    assert Collectivite.objects.filter(code_insee="62727").count() == 1
    assert Collectivite.objects.filter(code_insee="62675").count() == 1
    assert Collectivite.objects.filter(type="commune", code_insee="").count() == 0


def test_every_issued_demo_devis_pdf_is_free_of_a_completer(demo):
    emis = Devis.objects.exclude(statut=Devis.Statut.BROUILLON)

    assert emis.count() >= 4
    for devis in emis:
        assert "à compléter" not in _texte(devis.pdf), devis.numero


def test_every_stored_demo_convention_pdf_is_free_of_a_completer(demo):
    conventions = Convention.objects.exclude(statut=Convention.Statut.BROUILLON)

    for convention in conventions:
        assert convention.pdf_envoye, convention
        assert "à compléter" not in _texte(convention.pdf_envoye)
        if convention.pdf_signe:
            assert "à compléter" not in _texte(convention.pdf_signe)


def test_the_demo_issuers_are_marked_as_demonstration_values(demo):
    fibre = Organisme.objects.get(code="fibre")

    assert "démonstration" in fibre.adresse
    assert "démonstration" in fibre.mention_tva
    assert "démonstration" in TermesConvention.objects.get().note


def test_the_demo_never_overwrites_a_real_issuer_value(db, settings):
    settings.DEBUG = True
    Organisme.objects.filter(code="cdg").update(siret="", adresse="Rue réelle")

    call_command("charger_demo", stdout=io.StringIO())

    cdg = Organisme.objects.get(code="cdg")
    assert cdg.adresse == "Rue réelle"
    assert cdg.siret == "99962001600017"
