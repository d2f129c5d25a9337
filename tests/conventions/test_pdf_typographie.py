"""Le PDF de convention applique la typographie française (filtre ``typo``)."""

from __future__ import annotations

import io
import re

import pytest
from pypdf import PdfReader

from conventions.models import Collectivite, Convention
from conventions.pdf import convention_pdf


@pytest.fixture
def texte_convention(grille_2024_14):
    collectivite = Collectivite.objects.create(
        nom="Saint-Martin-d'Ardres", population=1500, code_insee="62998", ville="Ardres"
    )
    convention = Convention.objects.create(
        collectivite=collectivite,
        grille=grille_2024_14,
        statut=Convention.Statut.BROUILLON,
    )
    lecteur = PdfReader(io.BytesIO(convention_pdf(convention)))
    return " ".join(" ".join(page.extract_text().split(" ")) for page in lecteur.pages)


def test_guillemets_du_pdf_entourent_leur_texte_d_espaces_insecables(
    texte_convention,
):
    assert "«\u00a0les Parties\u00a0»" in texte_convention
    assert "« les Parties »" not in texte_convention


def test_deux_points_et_point_virgule_du_pdf_sont_precedes_d_une_insecable(
    texte_convention,
):
    assert "Représenté(e) par\u00a0:" in texte_convention
    # L'espace fine U+202F vient de la police de repli (DejaVu Sans) : pypdf
    # la restitue selon la table ToUnicode de celle-ci ; le filtre, lui, est
    # vérifié caractère par caractère dans test_typographie.py.
    assert re.search("territoriales[\u202f\u00a0 ];", texte_convention)
    assert "territoriales;" not in texte_convention


def test_apostrophes_du_pdf_et_du_nom_saisi_sont_typographiques(texte_convention):
    assert "Saint-Martin-d\u2019Ardres" in texte_convention
    assert "l\u2019accompagnement" in texte_convention
    assert "d'Ardres" not in texte_convention
