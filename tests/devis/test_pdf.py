"""PDF du devis : contenu imprimé, marque « PROJET », valeurs figées."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

import pytest
from django.utils import timezone
from pypdf import PdfReader

from devis import services
from devis.pdf import devis_html, devis_rendre_pdf
from tarifs.calcul import LigneDemandee
from tarifs.models import GrilleTarifaire, Tarif
from tarifs.selectors import grille_en_vigueur
from tarifs.services import grille_dupliquer, grille_publier

pytestmark = pytest.mark.django_db


def texte_pdf(contenu: bytes) -> str:
    """Texte du PDF sur une ligne : retours à la ligne et espaces insécables
    ramenés à des espaces simples."""
    lecteur = PdfReader(io.BytesIO(contenu))
    texte = "\n".join(page.extract_text() for page in lecteur.pages)
    return " ".join(texte.split())


def _stocke(devis) -> bytes:
    devis.refresh_from_db()
    with devis.pdf.open("rb") as fichier:
        return fichier.read()


def test_the_issued_pdf_prints_number_totals_and_deliberation(devis_emis):
    texte = texte_pdf(_stocke(devis_emis))

    assert devis_emis.numero in texte
    for attendu in ("60,00 €", "76,80 €", "136,80 €", "Montants TTC"):
        assert attendu in texte
    assert "2024/14" in texte
    assert "délibération 2024/14 du 26/03/2024" in texte
    assert "Ruitz" in texte
    assert "Catégorie B — population totale 1 500 hab. (2021)" in texte
    assert "Accompagnement du CDG 62 inclus : Clé de signature 1 an" in texte
    assert "Bon pour accord" in texte
    assert "Signature et cachet" in texte
    assert "à compléter" not in texte  # un devis incomplet ne s'émet pas
    assert "PROJET" not in texte


def test_the_issued_pdf_is_one_page_and_pdf_a(devis_emis):
    contenu = _stocke(devis_emis)

    lecteur = PdfReader(io.BytesIO(contenu))
    xmp = lecteur.trailer["/Root"]["/Metadata"].get_object().get_data()

    assert len(lecteur.pages) == 1
    assert b"pdfaid:part" in xmp
    assert b"pdfaid:conformance" in xmp


def test_a_draft_preview_carries_the_projet_mark_and_no_number(brouillon_cdg):
    texte = texte_pdf(devis_rendre_pdf(brouillon_cdg, projet=True))

    assert "PROJET — non émis" in texte
    assert "Inclus" in texte
    assert "CDG62-" not in texte


def test_a_priced_sur_devis_line_prints_its_amount_and_justification(
    ruitz, alice_agent
):
    (cdg,) = services.devis_creer_brouillons(
        collectivite=ruitz,
        lignes=[LigneDemandee("antivirus-mise-en-service", 25, intervention=True)],
        prix_manuels={
            ("cdg", "antivirus-mise-en-service"): (
                Decimal("400"),
                "Deux demi-journées.",
            )
        },
        par=alice_agent,
    )

    texte = texte_pdf(devis_rendre_pdf(cdg))

    assert "Sur devis — 400,00 € : Deux demi-journées." in texte


def test_an_unpriced_sur_devis_line_is_flagged_on_the_draft(ruitz, alice_agent):
    (cdg,) = services.devis_creer_brouillons(
        collectivite=ruitz,
        lignes=[LigneDemandee("antivirus-mise-en-service", 25, intervention=True)],
        par=alice_agent,
    )

    texte = texte_pdf(devis_rendre_pdf(cdg))

    assert "à chiffrer" in texte


def _nouvelle_grille(grille: GrilleTarifaire) -> GrilleTarifaire:
    """Version suivante de la grille, en vigueur depuis hier, messagerie à 22 €."""
    copie = grille_dupliquer(grille=grille)
    copie.reference = "2099/07"
    copie.date_deliberation = timezone.localdate() - datetime.timedelta(days=2)
    copie.date_effet = timezone.localdate() - datetime.timedelta(days=1)
    copie.save()
    Tarif.objects.filter(
        prestation__grille=copie, prestation__code="messagerie-5go"
    ).update(prix_unitaire=Decimal("22.00"))
    return grille_publier(grille=copie)


def test_frozen_values_survive_a_grid_and_an_address_change(
    devis_emis, ruitz, organismes, alice_agent
):
    stocke_avant = _stocke(devis_emis)
    html_avant = devis_html(devis_emis, projet=False)
    lignes_avant = list(devis_emis.lignes.values())

    nouvelle = _nouvelle_grille(devis_emis.grille)
    ruitz.adresse = "99 rue Nouvelle"
    ruitz.save()
    fibre = organismes["fibre"]
    fibre.adresse, fibre.siret = "2 rue du Syndicat", "12345678900011"
    fibre.save()

    assert grille_en_vigueur(timezone.localdate()) == nouvelle
    devis_emis.refresh_from_db()
    assert _stocke(devis_emis) == stocke_avant
    assert list(devis_emis.lignes.values()) == lignes_avant
    assert devis_emis.total_annuel == Decimal("60.00")
    assert devis_html(devis_emis, projet=False) == html_avant
    texte = texte_pdf(devis_rendre_pdf(devis_emis))
    assert "1 place de la Mairie" in texte
    assert "99 rue Nouvelle" not in texte
    assert "2 rue du Syndicat" not in texte
    assert "2024/14" in texte
    assert "2099/07" not in texte

    copies = services.devis_dupliquer(devis=devis_emis, par=alice_agent)
    copie_fibre = next(d for d in copies if d.emetteur.code == "fibre")
    assert copie_fibre.grille == nouvelle
    assert copie_fibre.total_annuel == Decimal("66.00")
    assert "99 rue Nouvelle" in texte_pdf(devis_rendre_pdf(copie_fibre))


def test_the_issuer_logo_is_embedded_and_frozen(
    brouillon_fibre, organismes, alice_agent, settings, tmp_path
):
    from django.core.files.base import ContentFile
    from PIL import Image

    settings.MEDIA_ROOT = tmp_path / "media"
    tampon = io.BytesIO()
    Image.new("RGB", (40, 20), (43, 76, 126)).save(tampon, format="PNG")
    fibre = organismes["fibre"]
    fibre.logo.save("logo-fibre.png", ContentFile(tampon.getvalue()))

    devis = services.devis_emettre(devis=brouillon_fibre, par=alice_agent)

    assert devis.emetteur_fige["logo"] == fibre.logo.name
    page = PdfReader(io.BytesIO(_stocke(devis))).pages[0]
    assert len(page.images) == 1


def test_a_forced_category_prints_its_reason_and_the_population(ruitz, alice_agent):
    ruitz.categorie_forcee = "D"
    ruitz.categorie_forcee_motif = "Commune nouvelle en cours de fusion."
    ruitz.save()
    (fibre, _cdg) = services.devis_creer_brouillons(
        collectivite=ruitz,
        lignes=[LigneDemandee("forfait-categorie", 1)],
        par=alice_agent,
    )

    texte = texte_pdf(devis_rendre_pdf(fibre))

    assert fibre.total_annuel == Decimal("256.00")
    assert (
        "Catégorie D — forcée par le CDG : Commune nouvelle en cours de fusion."
        in texte
    )
    assert "Population totale : 1 500 habitants (2021)" in texte
