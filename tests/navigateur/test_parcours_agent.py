"""Parcours complet d'un agent du CDG dans un vrai navigateur : nouvelle
collectivité, sa convention et ses trois signatures, un devis avec une ligne
« sur devis » chiffrée à la main, émis, puis son PDF téléchargé."""

from __future__ import annotations

import datetime
import io
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect
from pypdf import PdfReader

from conventions.models import Collectivite, Convention
from devis.models import Devis
from tests.navigateur.outils import grille_et_agent, se_connecter

pytestmark = [
    pytest.mark.navigateur,
    # Le serveur de test lit la base depuis un autre fil : données validées.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

SIGNATAIRES = [
    ("La collectivité", "Dominique Leroy", "Maire"),
    ("La Fibre Numérique 59-62", "Claude Martin", "Président"),
    ("Le CDG 62", "Sacha Durand", "Président"),
]
JUSTIFICATION = "25 postes, au-delà du barème A : deux journées d'intervention"


def champ(page, libelle: str):
    """Le champ d'étiquette ``libelle`` (crispy ajoute « * » aux obligatoires)."""
    return page.get_by_label(re.compile(rf"^\s*{re.escape(libelle)}\s*\*?\s*$"))


def message(page):
    """Le message de confirmation affiché après une action."""
    return page.locator(".messages [role='status']").last


def test_an_agent_takes_a_new_commune_from_convention_to_an_issued_devis_pdf(onglet):
    _grille, agent = grille_et_agent()
    page = onglet
    # « Émettre le devis » demande confirmation (data-confirm) : on accepte.
    page.on("dialog", lambda dialogue: dialogue.accept())
    se_connecter(page, agent.email)

    # 1. La collectivité, par le formulaire : une commune du référentiel
    # officiel (code INSEE), dont le SIREN est repris du référentiel.
    page.get_by_role("link", name="Collectivités").first.click()
    page.get_by_role("link", name="Nouvelle collectivité").click()
    champ(page, "Type").select_option(label="Commune")
    champ(page, "Nom").fill("Houdain")
    champ(page, "Code INSEE").fill("62457")
    champ(page, "Population totale").fill("7400")
    champ(page, "Année de la population").fill("2021")
    champ(page, "Adresses électroniques de contact").fill("mairie@houdain.example")
    # L'adresse du destinataire est imprimée : sans elle, rien ne part.
    champ(page, "Adresse").fill("Place de la Mairie")
    champ(page, "Code postal").fill("62150")
    champ(page, "Commune (adresse)").fill("Houdain")
    page.get_by_role("button", name="Enregistrer").click()
    page.wait_for_url(re.compile(r"/gestion/collectivites/\d+/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Houdain")
    houdain = Collectivite.objects.get(nom="Houdain")
    assert houdain.siren == "216204578"  # repris du référentiel officiel

    # 2. Sa convention, envoyée en signature puis signée par les trois parties.
    page.get_by_role("button", name="Préparer une convention").click()
    page.wait_for_url(re.compile(r"/gestion/conventions/\d+/$"))
    page.get_by_role("button", name="Envoyer en signature").click()
    expect(message(page)).to_have_text("La convention est envoyée en signature.")
    aujourdhui = timezone.localdate()
    for partie, nom, qualite in SIGNATAIRES:
        champ(page, "Partie").select_option(label=partie)
        champ(page, "Nom du signataire").fill(nom)
        champ(page, "Qualité du signataire").fill(qualite)
        champ(page, "Date de signature").fill(aujourdhui.isoformat())
        page.get_by_role("button", name="Enregistrer la signature").click()
        expect(message(page)).to_contain_text(f"Signature enregistrée : {partie}.")
    expect(message(page)).to_contain_text("Les trois parties ont signé")
    convention = Convention.objects.get(collectivite=houdain)
    assert convention.statut == Convention.Statut.SIGNEE
    assert convention.signatures.count() == 3

    # 3. Un devis : antivirus avec intervention du CDG pour 25 postes, au-delà
    # du barème → « sur devis » ; le brouillon ne peut pas encore être émis.
    page.goto(f"/gestion/collectivites/{houdain.pk}/")
    page.get_by_role("link", name="Nouveau devis pour Houdain").click()
    expect(page.get_by_label("Collectivité", exact=True)).to_have_value(str(houdain.pk))
    page.locator("#id_quantite_antivirus-mise-en-service").fill("25")
    page.locator("#id_intervention_antivirus-mise-en-service").check()
    expect(page.locator("#chiffrage [data-emetteur='cdg']")).to_contain_text(
        "Sur devis"
    )
    page.get_by_role("button", name="Créer les brouillons de devis").click()
    page.wait_for_url(re.compile(r"/gestion/devis/\d+/$"))
    brouillon = Devis.objects.get(collectivite=houdain)
    assert brouillon.emetteur.code == "cdg"
    assert brouillon.statut == Devis.Statut.BROUILLON
    page.get_by_role("button", name="Émettre le devis").click()
    expect(page.locator(".messages [role='alert']")).to_be_visible()
    brouillon.refresh_from_db()
    assert brouillon.statut == Devis.Statut.BROUILLON

    # 4. Chiffrer la ligne sur devis : montant et justification.
    page.get_by_role("link", name="Modifier la demande").click()
    page.get_by_label(re.compile(r"^Montant.*Antivirus — mise en service")).fill(
        "900,00"
    )
    page.locator("[name='justification_cdg_antivirus-mise-en-service']").fill(
        JUSTIFICATION
    )
    cdg = page.locator("#chiffrage [data-emetteur='cdg']")
    expect(cdg.locator(".total-unique")).to_have_text("900,00\u00a0€")
    page.get_by_role("button", name="Enregistrer les brouillons").click()
    page.wait_for_url(f"**/gestion/devis/{brouillon.pk}/")
    ligne = brouillon.lignes.get(code="antivirus-mise-en-service")
    assert (ligne.montant, ligne.justification) == (Decimal("900.00"), JUSTIFICATION)

    # 5. Émettre (confirmation acceptée) : un numéro définitif, un PDF conservé.
    page.get_by_role("button", name="Émettre le devis").click()
    expect(message(page)).to_contain_text("Devis émis sous le numéro")
    devis = Devis.objects.get(pk=brouillon.pk)
    assert devis.statut == Devis.Statut.EMIS
    assert devis.numero.startswith(f"CDG62-{aujourdhui.year}-")
    assert devis.total_unique == Decimal("900.00")
    assert devis.date_emission == aujourdhui
    assert devis.date_validite == aujourdhui + datetime.timedelta(days=90)
    expect(page.get_by_role("heading", level=1)).to_contain_text(devis.numero)

    # 6. Le PDF téléchargé est le fichier conservé à l'émission.
    with page.expect_download() as attente:
        page.get_by_role(
            "link", name=f"Télécharger le PDF du devis {devis.numero}"
        ).click()
    telechargement = attente.value
    assert telechargement.suggested_filename == f"{devis.numero}.pdf"
    octets = Path(telechargement.path()).read_bytes()
    with devis.pdf.open("rb") as fichier:
        assert octets == fichier.read()
    texte = "".join(p.extract_text() for p in PdfReader(io.BytesIO(octets)).pages)
    assert devis.numero in texte
    assert "Houdain" in texte
