"""Parcours d'une secrétaire de mairie dans un vrai navigateur : connexion,
devis, bon pour accord, téléchargement du PDF conservé."""

from __future__ import annotations

import datetime
import re
from pathlib import Path

import pytest

from comptes.models import Utilisateur
from conventions.models import Adhesion, Convention
from devis.models import DemandeDevis, Devis
from tarifs.chargement import grille_charger_fichier
from tests.conftest import FICHIER_GRILLE
from tests.factories import (
    AdhesionFactory,
    CollectiviteFactory,
    ConventionFactory,
    UtilisateurFactory,
    devis_emis_pour,
)

pytestmark = [
    pytest.mark.navigateur,
    # Le serveur de test lit la base depuis un autre fil : données validées.
    # La sauvegarde sérialisée rend aux tests suivants les données des
    # migrations (émetteurs) que le vidage des tables efface.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

MOT_DE_PASSE = "secretaire-ruitz-2024"


@pytest.fixture
def ruitz_avec_devis(stockage):
    """Ruitz, sa convention signée, sa secrétaire signataire et un devis émis
    par les vrais services (PDF rendu et conservé à l'émission)."""
    grille = grille_charger_fichier(FICHIER_GRILLE).grille
    agent = UtilisateurFactory(email="agent@cdg62.fr", role=Utilisateur.Role.AGENT)
    ruitz = CollectiviteFactory(nom="Ruitz", population=1500, population_annee=2021)
    ConventionFactory(
        collectivite=ruitz,
        grille=grille,
        statut=Convention.Statut.SIGNEE,
        date_effet=datetime.date(2024, 5, 2),
    )
    secretaire = UtilisateurFactory(
        email="secretaire@mairie-ruitz.fr", password=MOT_DE_PASSE
    )
    AdhesionFactory(
        utilisateur=secretaire, collectivite=ruitz, role=Adhesion.Role.SIGNATAIRE
    )
    fibre, _cdg = devis_emis_pour(ruitz, par=agent)
    return ruitz, secretaire, fibre


def test_a_secretary_logs_in_accepts_a_devis_and_downloads_its_pdf(
    onglet, ruitz_avec_devis
):
    ruitz, secretaire, devis = ruitz_avec_devis

    onglet.goto("/connexion/")
    onglet.get_by_label("Adresse électronique").fill(secretaire.email)
    onglet.get_by_label("Mot de passe").fill(MOT_DE_PASSE)
    onglet.get_by_role("button", name="Se connecter").click()
    # Une seule collectivité : le portail y mène directement.
    onglet.wait_for_url(f"**/portail/{ruitz.pk}/")
    assert onglet.get_by_role("heading", name="Ruitz", level=1).is_visible()

    onglet.get_by_role("link", name=devis.numero).click()
    onglet.wait_for_url(f"**/portail/{ruitz.pk}/devis/{devis.pk}/")
    onglet.get_by_label("Nom du signataire").fill("Jeanne Dupont")
    onglet.get_by_label("Qualité du signataire").fill("Maire")
    onglet.get_by_label("J'ai qualité pour engager la collectivité").check()
    onglet.get_by_role("button", name="Donner le bon pour accord").click()

    onglet.get_by_text("Votre bon pour accord sur le devis").wait_for()
    assert onglet.locator("h1 .badge").inner_text() == "Accepté"
    assert onglet.get_by_text("par Jeanne Dupont, Maire").is_visible()
    devis.refresh_from_db()
    assert devis.statut == Devis.Statut.ACCEPTE
    assert devis.reponse_par == secretaire
    assert devis.reponse_ip == "127.0.0.1"

    with onglet.expect_download() as attente:
        onglet.get_by_role("link", name="Télécharger le PDF").click()
    telechargement = attente.value
    assert telechargement.suggested_filename == f"{devis.numero}.pdf"
    with devis.pdf.open("rb") as fichier:
        conserve = fichier.read()
    assert conserve.startswith(b"%PDF")
    assert Path(telechargement.path()).read_bytes() == conserve


def test_the_request_form_shows_live_totals_and_reaches_the_cdg(
    onglet, ruitz_avec_devis
):
    ruitz, secretaire, _devis = ruitz_avec_devis

    onglet.goto(f"/portail/{ruitz.pk}/demander")
    onglet.wait_for_url(re.compile(r"/connexion/\?next=/portail/"))
    onglet.get_by_label("Adresse électronique").fill(secretaire.email)
    onglet.get_by_label("Mot de passe").fill(MOT_DE_PASSE)
    onglet.get_by_role("button", name="Se connecter").click()
    onglet.wait_for_url(f"**/portail/{ruitz.pk}/demander")

    # Aperçu en direct (htmx) : 3 comptes à 20 € = 60 € par an.
    onglet.locator("#id_quantite_messagerie-5go").fill("3")
    apercu = onglet.locator("#chiffrage .total-annuel").first
    apercu.wait_for()
    assert apercu.inner_text() == "60,00\u00a0€"

    onglet.get_by_role("button", name="Envoyer la demande au CDG 62").click()
    onglet.wait_for_url(f"**/portail/{ruitz.pk}/")
    assert onglet.get_by_text("Votre demande a été transmise au CDG 62").is_visible()
    demande = DemandeDevis.objects.get(statut=DemandeDevis.Statut.DEMANDEE)
    assert demande.lignes_demandees == [
        {"code": "messagerie-5go", "quantite": 3, "intervention": False}
    ]
