from __future__ import annotations

import datetime
import io
import socket

import pytest
from pypdf import PdfReader

from conventions.models import Collectivite, Convention, Signature, TermesConvention
from conventions.moteur_pdf import AccesRefuse, RecuperateurStatique, html_vers_pdf
from conventions.pdf import convention_pdf


@pytest.fixture
def convention_ruitz(grille_2024_14):
    ruitz = Collectivite.objects.create(
        nom="Ruitz", population=1500, code_insee="62999", ville="Ruitz"
    )
    return Convention.objects.create(
        collectivite=ruitz, grille=grille_2024_14, statut=Convention.Statut.BROUILLON
    )


def _texte(pdf: bytes) -> tuple[PdfReader, str]:
    lecteur = PdfReader(io.BytesIO(pdf))
    texte = " ".join(page.extract_text() for page in lecteur.pages)
    # Les retours à la ligne des colonnes étroites ne comptent pas.
    return lecteur, " ".join(texte.replace("\xa0", " ").split())


def _polices(lecteur: PdfReader) -> set[str]:
    noms = set()
    for page in lecteur.pages:
        polices = page["/Resources"].get_object().get("/Font", {})
        for police in polices.values():
            noms.add(str(police.get_object()["/BaseFont"]))
    return noms


def test_the_convention_pdf_names_the_collectivite_and_the_deliberation(
    convention_ruitz,
):
    pdf = convention_pdf(convention_ruitz)

    assert pdf.startswith(b"%PDF-")
    lecteur, texte = _texte(pdf)
    assert "Convention tripartite de services numériques" in texte
    assert "Ruitz" in texte
    assert "2024/14" in texte
    assert "26 mars 2024" in texte
    assert "Tribunal administratif de Lille" in texte


def test_the_annex_is_on_its_own_pages_after_the_articles(convention_ruitz):
    lecteur, _texte_complet = _texte(convention_pdf(convention_ruitz))

    assert len(lecteur.pages) >= 2
    premiere = lecteur.pages[0].extract_text()
    assert "Annexe" not in premiere
    annexe = "\n".join(p.extract_text() for p in lecteur.pages[1:])
    assert "Annexe — Services et tarifs" in annexe
    assert "Tableau 1" in annexe and "Tableau 2" in annexe


def test_the_annex_prints_the_grid_in_french_format(convention_ruitz):
    _lecteur, texte = _texte(convention_pdf(convention_ruitz))

    assert "76,80 €" in texte  # clé 1 an, remise au CDG (La Fibre)
    assert "Inclus" in texte  # accompagnement CDG de la même clé
    assert "10 212,00 €" in texte  # forfait catégorie I (La Fibre)
    assert "Sur devis" in texte  # forfait CDG en catégories G à I
    assert "au-delà de 20 : + 50,00 € par tranche de 20 comptes" in texte


def test_every_page_is_numbered_page_x_of_y(convention_ruitz):
    lecteur, _texte_complet = _texte(convention_pdf(convention_ruitz))

    total = len(lecteur.pages)
    for numero, page in enumerate(lecteur.pages, start=1):
        assert f"Page {numero} / {total}" in page.extract_text()


@pytest.mark.sans_termes  # aucune version des termes en vigueur
def test_blank_facts_are_printed_a_completer(convention_ruitz):
    assert not TermesConvention.objects.exists()
    _lecteur, texte = _texte(convention_pdf(convention_ruitz))

    assert "SIREN : à compléter" in texte
    assert "Code INSEE : 62999" in texte
    # La durée est une question ouverte : aucun chiffre inventé.
    assert "conclue pour une durée de [à compléter]" in texte


def test_recorded_signatures_fill_the_signature_blocks(convention_ruitz):
    Signature.objects.create(
        convention=convention_ruitz,
        partie=Signature.Partie.COLLECTIVITE,
        signataire_nom="Camille Exemple",
        signataire_qualite="Maire",
        date=datetime.date(2024, 5, 2),
    )

    _lecteur, texte = _texte(convention_pdf(convention_ruitz))

    assert "Nom : Camille Exemple" in texte
    assert "Date : 2 mai 2024" in texte
    assert "Représenté(e) par : Camille Exemple, Maire" in texte


def test_the_pdf_embeds_the_local_inter_font(convention_ruitz):
    lecteur, _texte_complet = _texte(convention_pdf(convention_ruitz))

    assert any("Inter" in nom for nom in _polices(lecteur))


def test_the_grid_is_read_in_a_fixed_number_of_queries(
    convention_ruitz, django_assert_max_num_queries
):
    convention = Convention.objects.get(pk=convention_ruitz.pk)
    with django_assert_max_num_queries(20):
        convention_pdf(convention)


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/style.css",
        "https://example.com/police.woff",
        "ftp://example.com/image.png",
        "file:///etc/passwd",
        "file:///static/../../../etc/passwd",
        "file://example.com/static/css/pdf.css",
    ],
)
def test_the_fetcher_refuses_anything_outside_the_static_files(url):
    with pytest.raises(AccesRefuse):
        RecuperateurStatique().fetch(url)


def test_the_fetcher_serves_the_static_files():
    reponse = RecuperateurStatique().fetch("file:///static/css/pdf.css")

    assert b"@page" in reponse.read()
    police = RecuperateurStatique().fetch(
        "file:///static/vendor/fonts/inter/inter-latin-400-normal.woff"
    )
    assert police.content_type == "font/woff"


def test_rendering_never_touches_the_network(monkeypatch):
    tentatives = []

    def refuser(*args, **kwargs):
        tentatives.append(args)
        raise OSError("réseau interdit pendant les tests")

    monkeypatch.setattr(socket, "getaddrinfo", refuser)
    monkeypatch.setattr(socket.socket, "connect", refuser)
    html = (
        '<html><head><link rel="stylesheet" href="http://example.com/a.css">'
        '</head><body><p>Bonjour</p><img src="https://example.com/logo.png">'
        "</body></html>"
    )

    pdf = html_vers_pdf(html)

    assert pdf.startswith(b"%PDF-")
    assert tentatives == []


def test_write_pdf_options_are_passed_through():
    pdf = html_vers_pdf("<p>Archivage</p>", pdf_variant="pdf/a-3b")

    lecteur = PdfReader(io.BytesIO(pdf))
    assert "/OutputIntents" in lecteur.trailer["/Root"]
    assert lecteur.xmp_metadata.pdfaid_part == "3"
