"""Vues des devis du back office (``/gestion/devis/``)."""

from __future__ import annotations

import datetime
import html
import json
import re
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.core import mail
from django.db import connection
from django.template import Context, Template
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from conventions.models import Organisme
from devis import selectors
from devis.models import DemandeDevis, Devis, EnvoiDevis, EvenementDevis
from tests.factories import CollectiviteFactory

INCONNU = 999_999


# --- Aides ----------------------------------------------------------------------


@pytest.fixture
def portail(client, charlie_portail):
    client.force_login(charlie_portail)
    return client


def textes_messages(reponse) -> list[str]:
    return [str(m) for m in get_messages(reponse.wsgi_request)]


def totaux_affiches(html: str) -> dict[str, dict[str, str]]:
    """Les totaux par émetteur lus dans les attributs data-* de l'aperçu."""
    totaux = {}
    for bloc in re.finditer(
        r'data-emetteur="(\w+)" data-total-unique="([\d.]+)" '
        r'data-total-annuel="([\d.]+)" data-total-premiere-annee="([\d.]+)" '
        r'data-sur-devis="(true|false)"',
        html,
    ):
        emetteur, unique, annuel, premiere, sur_devis = bloc.groups()
        totaux[emetteur] = {
            "total_unique": unique,
            "total_annuel": annuel,
            "total_premiere_annee": premiere,
            "sur_devis": sur_devis == "true",
        }
    return totaux


def creer_devis_orm(
    collectivite, grille, organisme, *, rang: int, statut="emis", validite=30
):
    """Un devis écrit directement en base (sans service), pour les listes ;
    ``validite`` : jours restants avant la fin de validité (négatif : passée)."""
    demande = DemandeDevis.objects.create(collectivite=collectivite)
    champs = {}
    if statut != Devis.Statut.BROUILLON:
        champs = {
            "numero": f"{organisme.prefixe_numero}-2024-{rang:04d}",
            "annee": 2024,
            "sequence": rang,
            "date_emission": datetime.date(2024, 6, 1),
            "date_validite": timezone.localdate() + datetime.timedelta(days=validite),
        }
    return Devis.objects.create(
        demande=demande,
        emetteur=organisme,
        collectivite=collectivite,
        grille=grille,
        statut=statut,
        total_premiere_annee=Decimal("60.00"),
        **champs,
    )


# --- Accès ----------------------------------------------------------------------

URLS_GET = [
    "/gestion/devis/",
    "/gestion/devis/nouveau",
    "/gestion/devis/{devis}/",
    "/gestion/devis/{devis}/pdf",
    "/gestion/devis/{devis}/apercu.pdf",
    "/gestion/devis/demandes/{demande}/modifier",
]
URLS_POST = [
    "/gestion/devis/nouveau",
    "/gestion/devis/chiffrage",
    "/gestion/devis/demandes/{demande}/modifier",
    "/gestion/devis/{devis}/supprimer",
    "/gestion/devis/{devis}/emettre",
    "/gestion/devis/{devis}/annuler",
    "/gestion/devis/{devis}/accepter",
    "/gestion/devis/{devis}/refuser",
    "/gestion/devis/{devis}/dupliquer",
    "/gestion/devis/{devis}/envoyer",
]
URLS_MATRICE = [("get", url) for url in URLS_GET] + [("post", url) for url in URLS_POST]


def _url(modele, brouillon):
    return modele.format(devis=brouillon.pk, demande=brouillon.demande_id)


@pytest.mark.parametrize(("methode", "modele"), URLS_MATRICE)
def test_it_sends_anonymous_visitors_to_the_login_page(
    client, brouillon_fibre, methode, modele
):
    url = _url(modele, brouillon_fibre)
    reponse = getattr(client, methode)(url)
    assert reponse.status_code == 302
    assert reponse["Location"].startswith("/connexion/?next=")
    assert Devis.objects.filter(pk=brouillon_fibre.pk).exists()


@pytest.mark.parametrize(("methode", "modele"), URLS_MATRICE)
def test_it_forbids_portal_users(portail, brouillon_fibre, methode, modele):
    reponse = getattr(portail, methode)(_url(modele, brouillon_fibre))
    assert reponse.status_code == 403
    assert Devis.objects.get(pk=brouillon_fibre.pk).statut == "brouillon"


@pytest.mark.parametrize(
    ("modele", "attendu"),
    [
        ("/gestion/devis/", 200),
        ("/gestion/devis/nouveau", 200),
        ("/gestion/devis/{devis}/", 200),
        ("/gestion/devis/{devis}/apercu.pdf", 200),
        ("/gestion/devis/{devis}/pdf", 404),  # un brouillon n'a pas de PDF émis
        ("/gestion/devis/demandes/{demande}/modifier", 200),
    ],
)
def test_it_serves_agents(agent, brouillon_fibre, modele, attendu):
    assert agent.get(_url(modele, brouillon_fibre)).status_code == attendu


@pytest.mark.parametrize(
    ("methode", "modele"),
    [
        ("get", "/gestion/devis/{pk}/"),
        ("get", "/gestion/devis/{pk}/pdf"),
        ("get", "/gestion/devis/{pk}/apercu.pdf"),
        ("get", "/gestion/devis/demandes/{pk}/modifier"),
        ("post", "/gestion/devis/demandes/{pk}/modifier"),
        ("post", "/gestion/devis/{pk}/supprimer"),
        ("post", "/gestion/devis/{pk}/emettre"),
        ("post", "/gestion/devis/{pk}/annuler"),
        ("post", "/gestion/devis/{pk}/accepter"),
        ("post", "/gestion/devis/{pk}/refuser"),
        ("post", "/gestion/devis/{pk}/dupliquer"),
        ("post", "/gestion/devis/{pk}/envoyer"),
    ],
)
def test_it_answers_404_for_an_unknown_devis(
    agent, grille_2024_14, organismes, methode, modele
):
    donnees = {
        "annulation-motif": "x",
        "refus-motif": "x",
        "acceptation-signataire_nom": "x",
        "acceptation-signataire_qualite": "x",
    }
    url = modele.format(pk=INCONNU)
    reponse = agent.post(url, donnees) if methode == "post" else agent.get(url)
    assert reponse.status_code == 404


def test_the_action_urls_refuse_get(agent, brouillon_fibre):
    reponse = agent.get(f"/gestion/devis/{brouillon_fibre.pk}/emettre")
    assert reponse.status_code == 405


# --- Formulaire de demande ---------------------------------------------------------


def test_it_preselects_the_collectivite_given_in_the_url(agent, ruitz):
    reponse = agent.get(f"/gestion/devis/nouveau?collectivite={ruitz.pk}")
    assert reponse.status_code == 200
    html = reponse.content.decode()
    assert f'<option value="{ruitz.pk}" selected>' in html
    # Prestations groupées par section, option d'intervention, mise à jour htmx.
    assert "<legend" in html and "Sécurité — Antivirus" in html
    assert 'name="intervention_antivirus-mise-en-service"' in html
    assert 'hx-post="/gestion/devis/chiffrage"' in html
    assert "input changed delay:300ms" in html


def test_it_ignores_an_unknown_collectivite_in_the_url(agent, grille_2024_14):
    reponse = agent.get("/gestion/devis/nouveau?collectivite=abc")
    assert reponse.status_code == 200
    assert "selected>" not in reponse.content.decode().split("collectivite")[1][:200]


CAS_CHIFFRAGE = [
    [{"code": "messagerie-5go", "quantite": 3}],
    [
        {"code": "messagerie-5go", "quantite": 3},
        {"code": "antivirus-mise-en-service", "quantite": 8, "intervention": True},
    ],
    [
        {"code": "forfait-categorie", "quantite": 1},
        {"code": "forfait-categorie-mise-en-service", "quantite": 1},
        {"code": "sauvegarde-mise-en-service", "quantite": 2},
        {"code": "sauvegarde-abonnement", "quantite": 2},
    ],
    [
        {"code": "cle-1an-cdg", "quantite": 2},
        {"code": "messagerie-illimitee", "quantite": 25},
        {"code": "sauvegarde-go-supplementaire", "quantite": 150},
    ],
    [{"code": "antivirus-mise-en-service", "quantite": 25, "intervention": True}],
]


@pytest.mark.parametrize("lignes", CAS_CHIFFRAGE)
def test_the_live_preview_gives_the_same_totals_as_the_api(agent, ruitz, lignes):
    api = agent.post(
        "/api/chiffrage",
        json.dumps({"collectivite": {"id": ruitz.pk}, "lignes": lignes}),
        content_type="application/json",
    )
    assert api.status_code == 200
    donnees = {"collectivite": str(ruitz.pk)}
    for ligne in lignes:
        donnees[f"quantite_{ligne['code']}"] = str(ligne["quantite"])
        if ligne.get("intervention"):
            donnees[f"intervention_{ligne['code']}"] = "on"
    apercu = agent.post("/gestion/devis/chiffrage", donnees, HTTP_HX_REQUEST="true")
    assert apercu.status_code == 200
    attendu = {
        devis["emetteur"]: {
            cle: devis[cle]
            for cle in (
                "total_unique",
                "total_annuel",
                "total_premiere_annee",
                "sur_devis",
            )
        }
        for devis in api.json()["devis"]
    }
    assert totaux_affiches(apercu.content.decode()) == attendu


def test_the_live_preview_shows_price_inputs_for_sur_devis_lines(agent, ruitz):
    reponse = agent.post(
        "/gestion/devis/chiffrage",
        {
            "collectivite": str(ruitz.pk),
            "quantite_antivirus-mise-en-service": "25",
            "intervention_antivirus-mise-en-service": "on",
            "prix_cdg_antivirus-mise-en-service": "900",
            "justification_cdg_antivirus-mise-en-service": "",
        },
    )
    html = reponse.content.decode()
    assert 'name="prix_cdg_antivirus-mise-en-service"' in html
    assert 'name="justification_cdg_antivirus-mise-en-service"' in html
    assert "Justifiez le montant saisi pour cette ligne sur devis." in html
    assert totaux_affiches(html)["cdg"]["total_unique"] == "900.00"
    # L'annonce pour les lecteurs d'écran est mise à jour hors de la cible.
    assert 'hx-swap-oob="true"' in html


def test_the_live_preview_lists_quantity_errors(agent, ruitz):
    reponse = agent.post(
        "/gestion/devis/chiffrage",
        {"collectivite": str(ruitz.pk), "quantite_messagerie-5go": "-2"},
    )
    html = reponse.content.decode()
    assert "Chiffrage impossible" in html
    assert "La quantité ne peut pas être négative." in html


def test_the_live_preview_invites_to_type_when_nothing_is_asked(agent, ruitz):
    reponse = agent.post("/gestion/devis/chiffrage", {"collectivite": str(ruitz.pk)})
    html = reponse.content.decode()
    assert "Saisissez des quantités" in html
    assert "Indiquez au moins une prestation" not in html


def test_recalculer_re_renders_the_page_with_totals_without_saving(agent, ruitz):
    reponse = agent.post(
        "/gestion/devis/nouveau",
        {
            "collectivite": str(ruitz.pk),
            "quantite_messagerie-5go": "3",
            "action": "recalculer",
        },
    )
    assert reponse.status_code == 200
    assert totaux_affiches(reponse.content.decode())["fibre"]["total_annuel"] == "60.00"
    assert not Devis.objects.exists()


@pytest.mark.parametrize(
    ("saisies", "message", "gardes"),
    [
        (
            {"quantite_messagerie-5go": "-1"},
            "La quantité ne peut pas être négative.",
            ['value="-1"'],
        ),
        (
            {"quantite_messagerie-5go": "trois", "quantite_page-internet": "2"},
            "La quantité doit être un nombre entier.",
            ['value="trois"', 'value="2"'],
        ),
        (
            {"quantite_messagerie-5go": "1000000"},
            "La quantité ne peut pas dépasser 99\u00a0999.",
            ['value="1000000"'],
        ),
        ({"quantite_messagerie-5go": "0"}, "Indiquez au moins une prestation", []),
        (
            {
                "quantite_antivirus-mise-en-service": "25",
                "intervention_antivirus-mise-en-service": "on",
                "prix_cdg_antivirus-mise-en-service": "neuf cents",
                "justification_cdg_antivirus-mise-en-service": "Sur site.",
            },
            "Saisissez un montant en euros, par exemple 150 ou 150,50.",
            ['value="neuf cents"', "Sur site.", 'value="25"', "checked"],
        ),
        (
            {
                "quantite_antivirus-mise-en-service": "25",
                "intervention_antivirus-mise-en-service": "on",
                "prix_cdg_antivirus-mise-en-service": "-5",
                "justification_cdg_antivirus-mise-en-service": "Sur site.",
            },
            "Le montant ne peut pas être négatif.",
            ['value="-5"', "Sur site."],
        ),
        (
            {
                "quantite_antivirus-mise-en-service": "25",
                "intervention_antivirus-mise-en-service": "on",
                "prix_cdg_antivirus-mise-en-service": "900",
                "justification_cdg_antivirus-mise-en-service": "",
            },
            "Justifiez le montant saisi pour cette ligne sur devis.",
            ['value="900"'],
        ),
    ],
)
def test_each_form_error_is_shown_in_french_and_keeps_what_was_typed(
    agent, ruitz, saisies, message, gardes
):
    reponse = agent.post(
        "/gestion/devis/nouveau",
        {
            "collectivite": str(ruitz.pk),
            "commentaire": "Demande du secrétariat",
            "action": "enregistrer",
            **saisies,
        },
    )
    assert reponse.status_code == 200
    html = reponse.content.decode()
    assert "corrigez les erreurs suivantes" in html
    assert message in html
    assert "Demande du secrétariat" in html
    assert f'<option value="{ruitz.pk}" selected>' in html
    for garde in gardes:
        assert garde in html
    assert not Devis.objects.exists()


def test_a_missing_collectivite_is_reported_in_french(agent, grille_2024_14):
    reponse = agent.post(
        "/gestion/devis/nouveau",
        {"quantite_messagerie-5go": "2", "action": "enregistrer"},
    )
    assert reponse.status_code == 200
    assert "Choisissez la collectivité destinataire." in reponse.content.decode()


def test_without_a_grid_in_force_the_form_says_so(agent, ruitz, monkeypatch):
    # Aujourd'hui avant la date d'effet de la seule grille publiée (une grille
    # publiée ne redevient jamais brouillon, la base le refuse).
    monkeypatch.setattr(
        "tarifs.selectors.timezone.localdate", lambda: datetime.date(2020, 1, 1)
    )
    reponse = agent.get("/gestion/devis/nouveau")
    assert reponse.status_code == 302
    assert any("Aucune grille tarifaire publiée" in m for m in textes_messages(reponse))


# --- Parcours complet --------------------------------------------------------------


def test_the_full_flow_create_edit_issue_and_download(agent, ruitz, alice_agent):
    # Création : La Fibre (messagerie, clé) et le CDG (accompagnement messagerie).
    reponse = agent.post(
        "/gestion/devis/nouveau",
        {
            "collectivite": str(ruitz.pk),
            "quantite_messagerie-5go": "3",
            "quantite_cle-1an-cdg": "1",
            "commentaire": "Appel de la mairie",
            "action": "enregistrer",
        },
    )
    assert reponse.status_code == 302
    demande = DemandeDevis.objects.get()
    assert demande.commentaire == "Appel de la mairie"
    fibre = demande.devis.get(emetteur__code="fibre")
    cdg = demande.devis.get(emetteur__code="cdg")
    assert reponse["Location"] == f"/gestion/devis/{fibre.pk}/"
    assert textes_messages(reponse)[0].startswith("2 brouillons de devis enregistrés")

    page = agent.get(reponse["Location"])
    html = page.content.decode()
    assert "Brouillon" in html and "Messagerie — compte 5 Go" in html
    assert "Accompagnement du CDG 62 inclus" in html

    # Modification : le formulaire est prérempli, puis 5 comptes au lieu de 3.
    url_modifier = f"/gestion/devis/demandes/{demande.pk}/modifier"
    formulaire = agent.get(url_modifier).content.decode()
    assert 'name="quantite_messagerie-5go" value="3"' in formulaire
    reponse = agent.post(
        url_modifier,
        {
            "quantite_messagerie-5go": "5",
            "quantite_cle-1an-cdg": "1",
            "action": "enregistrer",
        },
    )
    assert reponse.status_code == 302
    fibre = demande.devis.get(emetteur__code="fibre")
    assert fibre.total_annuel == Decimal("100.00")
    assert demande.devis.get(emetteur__code="cdg").total_annuel == Decimal("50.00")

    # Aperçu du brouillon : PDF en ligne.
    apercu = agent.get(f"/gestion/devis/{fibre.pk}/apercu.pdf")
    assert apercu["Content-Type"] == "application/pdf"
    assert apercu["Content-Disposition"].startswith("inline")
    assert apercu.content.startswith(b"%PDF")

    # Émission, puis téléchargement du PDF conservé, deux fois identique.
    reponse = agent.post(f"/gestion/devis/{fibre.pk}/emettre")
    assert reponse.status_code == 302
    fibre.refresh_from_db()
    assert fibre.statut == "emis"
    assert f"Devis émis sous le numéro {fibre.numero}." in textes_messages(reponse)
    premier = agent.get(f"/gestion/devis/{fibre.pk}/pdf")
    assert premier.status_code == 200
    assert premier["Content-Disposition"] == (
        f'attachment; filename="{fibre.numero}.pdf"'
    )
    octets = b"".join(premier.streaming_content)
    with fibre.pdf.open("rb") as fichier:
        assert octets == fichier.read()
    second = agent.get(f"/gestion/devis/{fibre.pk}/pdf")
    assert b"".join(second.streaming_content) == octets

    # Le détail montre le numéro, le statut et l'historique.
    html = agent.get(f"/gestion/devis/{fibre.pk}/").content.decode()
    assert fibre.numero in html and "Émis" in html
    assert f"/gestion/devis/{fibre.pk}/pdf" in html
    # Un devis émis ne se modifie plus : le formulaire renvoie au détail.
    reponse = agent.get(url_modifier)
    assert reponse.status_code == 302
    assert "ne se modifient plus" in textes_messages(reponse)[0]
    assert cdg.pk != fibre.pk


def test_editing_keeps_the_manual_prices_of_the_drafts(agent, ruitz):
    agent.post(
        "/gestion/devis/nouveau",
        {
            "collectivite": str(ruitz.pk),
            "quantite_antivirus-mise-en-service": "25",
            "intervention_antivirus-mise-en-service": "on",
            "quantite_antivirus-abonnement": "25",
            "prix_cdg_antivirus-mise-en-service": "900",
            "justification_cdg_antivirus-mise-en-service": "Trois jours sur site.",
            "action": "enregistrer",
        },
    )
    demande = DemandeDevis.objects.get()
    cdg = demande.devis.get(emetteur__code="cdg")
    assert cdg.total_unique == Decimal("900.00")
    html = agent.get(f"/gestion/devis/demandes/{demande.pk}/modifier").content.decode()
    assert 'value="900.00"' in html
    assert "Trois jours sur site." in html
    assert totaux_affiches(html)["cdg"]["total_unique"] == "900.00"
    detail = agent.get(f"/gestion/devis/{cdg.pk}/").content.decode()
    assert "justification : Trois jours sur site." in detail


def test_a_portal_request_is_priced_from_the_edit_page(agent, ruitz, charlie_portail):
    demande = DemandeDevis.objects.create(
        collectivite=ruitz,
        statut=DemandeDevis.Statut.DEMANDEE,
        lignes_demandees=[{"code": "messagerie-5go", "quantite": 2}],
        commentaire="Deux boîtes pour la mairie",
        demandee_par=charlie_portail,
    )
    url = f"/gestion/devis/demandes/{demande.pk}/modifier"
    html = agent.get(url).content.decode()
    assert "Chiffrer la demande" in html and "Deux boîtes pour la mairie" in html
    reponse = agent.post(url, {"quantite_messagerie-5go": "2", "action": "enregistrer"})
    assert reponse.status_code == 302
    demande.refresh_from_db()
    assert demande.statut == DemandeDevis.Statut.CHIFFREE
    assert demande.commentaire == "Deux boîtes pour la mairie"
    assert demande.devis.count() == 2


def test_deleting_a_draft_lands_on_the_list(agent, brouillon_fibre):
    reponse = agent.post(f"/gestion/devis/{brouillon_fibre.pk}/supprimer")
    assert reponse.status_code == 302
    assert reponse["Location"] == "/gestion/devis/"
    assert not Devis.objects.filter(pk=brouillon_fibre.pk).exists()
    assert textes_messages(reponse) == ["Le brouillon de devis a été supprimé."]


def test_an_issued_devis_cannot_be_deleted_and_says_why(agent, devis_emis):
    reponse = agent.post(f"/gestion/devis/{devis_emis.pk}/supprimer")
    assert reponse.status_code == 302
    assert reponse["Location"] == f"/gestion/devis/{devis_emis.pk}/"
    assert Devis.objects.filter(pk=devis_emis.pk).exists()
    assert textes_messages(reponse)


def test_issuing_without_a_convention_gives_a_message_not_a_500(agent, grille_2024_14):
    sans_convention = CollectiviteFactory(nom="Sans convention")
    creation = agent.post(
        "/gestion/devis/nouveau",
        {
            "collectivite": str(sans_convention.pk),
            "quantite_messagerie-5go": "1",
            "action": "enregistrer",
        },
    )
    assert creation.status_code == 302, creation.content.decode()
    brouillon = Devis.objects.get(emetteur__code="fibre")
    reponse = agent.post(f"/gestion/devis/{brouillon.pk}/emettre")
    assert reponse.status_code == 302
    assert reponse["Location"] == f"/gestion/devis/{brouillon.pk}/"
    assert any("convention" in m for m in textes_messages(reponse))
    brouillon.refresh_from_db()
    assert brouillon.statut == "brouillon" and brouillon.numero is None


# --- Actions sur un devis émis ---------------------------------------------------


def test_recording_a_paper_acceptance(agent, devis_emis, alice_agent):
    reponse = agent.post(
        f"/gestion/devis/{devis_emis.pk}/accepter",
        {
            "acceptation-signataire_nom": "Dominique Durand",
            "acceptation-signataire_qualite": "Maire",
        },
    )
    assert reponse.status_code == 302
    devis_emis.refresh_from_db()
    assert devis_emis.statut == "accepte"
    assert devis_emis.signataire_nom == "Dominique Durand"
    assert devis_emis.reponse_canal == "papier"
    assert devis_emis.reponse_par == alice_agent
    assert textes_messages(reponse) == ["L'acceptation du devis a été enregistrée."]


def test_an_acceptance_without_signatory_re_renders_with_french_errors(
    agent, devis_emis
):
    reponse = agent.post(
        f"/gestion/devis/{devis_emis.pk}/accepter",
        {"acceptation-signataire_nom": "Dominique Durand"},
    )
    assert reponse.status_code == 400
    html = reponse.content.decode()
    assert "Indiquez la qualité du signataire" in html
    assert 'value="Dominique Durand"' in html
    devis_emis.refresh_from_db()
    assert devis_emis.statut == "emis"


def test_an_expired_devis_cannot_be_accepted(agent, devis_emis):
    # La garde de la base interdit de changer la date de validité d'un devis
    # émis : on avance plutôt le jour courant.
    lendemain = devis_emis.date_validite + datetime.timedelta(days=1)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(timezone, "localdate", lambda *a, **k: lendemain)
        page = agent.get(f"/gestion/devis/{devis_emis.pk}/").content.decode()
        assert "Expiré" in page
        reponse = agent.post(
            f"/gestion/devis/{devis_emis.pk}/accepter",
            {
                "acceptation-signataire_nom": "Dominique Durand",
                "acceptation-signataire_qualite": "Maire",
            },
        )
    assert reponse.status_code == 302
    assert textes_messages(reponse)
    devis_emis.refresh_from_db()
    assert devis_emis.statut != "accepte"


def test_recording_a_refusal_needs_a_reason(agent, devis_emis):
    reponse = agent.post(f"/gestion/devis/{devis_emis.pk}/refuser", {})
    assert reponse.status_code == 400
    assert "Indiquez le motif." in reponse.content.decode()
    reponse = agent.post(
        f"/gestion/devis/{devis_emis.pk}/refuser", {"refus-motif": "Budget 2025"}
    )
    assert reponse.status_code == 302
    devis_emis.refresh_from_db()
    assert devis_emis.statut == "refuse"
    assert devis_emis.refus_motif == "Budget 2025"


def test_cancelling_keeps_the_number(agent, devis_emis):
    numero = devis_emis.numero
    reponse = agent.post(
        f"/gestion/devis/{devis_emis.pk}/annuler", {"annulation-motif": "   "}
    )
    assert reponse.status_code == 400
    assert "Indiquez le motif." in reponse.content.decode()
    reponse = agent.post(
        f"/gestion/devis/{devis_emis.pk}/annuler",
        {"annulation-motif": "Erreur de quantité"},
    )
    assert reponse.status_code == 302
    devis_emis.refresh_from_db()
    assert devis_emis.statut == "annule" and devis_emis.numero == numero
    assert textes_messages(reponse) == ["Le devis a été annulé ; il garde son numéro."]
    historique = agent.get(f"/gestion/devis/{devis_emis.pk}/").content.decode()
    assert "Erreur de quantité" in historique
    assert EvenementDevis.objects.filter(devis=devis_emis, statut="annule").exists()


def test_duplicating_lands_on_the_new_draft(agent, devis_emis):
    reponse = agent.post(f"/gestion/devis/{devis_emis.pk}/dupliquer")
    assert reponse.status_code == 302
    nouveau = Devis.objects.filter(statut="brouillon").exclude(
        demande=devis_emis.demande
    )
    assert nouveau.exists()
    assert reponse["Location"] in {f"/gestion/devis/{d.pk}/" for d in nouveau}


def test_sending_by_email_logs_the_send(
    agent, devis_emis, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        reponse = agent.post(f"/gestion/devis/{devis_emis.pk}/envoyer")
    assert reponse.status_code == 302
    assert len(mail.outbox) == 1
    assert mail.outbox[0].attachments
    envoi = EnvoiDevis.objects.get(devis=devis_emis)
    assert envoi.statut == EnvoiDevis.Statut.ENVOYE
    assert textes_messages(reponse) == [
        f"L'envoi du devis par courriel à {envoi.destinataires} est lancé : "
        "suivez-le dans « Envois par courriel »."
    ]
    html = agent.get(f"/gestion/devis/{devis_emis.pk}/").content.decode()
    assert envoi.destinataires in html


def test_the_preview_of_an_issued_devis_goes_to_its_stored_pdf(agent, devis_emis):
    reponse = agent.get(f"/gestion/devis/{devis_emis.pk}/apercu.pdf")
    assert reponse.status_code == 302
    assert reponse["Location"] == f"/gestion/devis/{devis_emis.pk}/pdf"


# --- Liste -----------------------------------------------------------------------


@pytest.fixture
def lot(grille_2024_14, organismes):
    deja = []

    def creer(nombre):
        for rang in range(len(deja) + 1, len(deja) + nombre + 1):
            deja.append(rang)
            collectivite = CollectiviteFactory()
            organisme = organismes["fibre" if rang % 2 else "cdg"]
            statut = "brouillon" if rang % 5 == 0 else "emis"
            creer_devis_orm(
                collectivite, grille_2024_14, organisme, rang=rang, statut=statut
            )

    return creer


def _requetes_liste(agent) -> int:
    agent.get("/gestion/devis/")  # le compte de l'agent est alors en cache
    with CaptureQueriesContext(connection) as requetes:
        reponse = agent.get("/gestion/devis/")
    assert reponse.status_code == 200
    return len(requetes)


def test_the_list_query_count_does_not_depend_on_the_rows(agent, lot):
    lot(5)
    avec_5 = _requetes_liste(agent)
    lot(45)
    assert Devis.objects.count() == 50
    assert _requetes_liste(agent) == avec_5


def test_the_list_is_paginated_by_25(agent, lot):
    lot(30)
    page_1 = agent.get("/gestion/devis/").content.decode()
    assert "30 devis — page 1 sur 2" in page_1
    assert page_1.count('<th scope="row"><a href="/gestion/devis/') == 25
    page_2 = agent.get("/gestion/devis/?page=2&emetteur=").content.decode()
    assert page_2.count('<th scope="row"><a href="/gestion/devis/') == 5
    assert 'href="?emetteur=&amp;page=1"' in page_2


def test_the_list_filters_by_issuer_status_year_collectivite_and_number(
    agent, grille_2024_14, organismes
):
    ruitz = CollectiviteFactory(nom="Ruitz")
    autre = CollectiviteFactory(nom="Quercamps")
    emis = creer_devis_orm(ruitz, grille_2024_14, organismes["fibre"], rang=7)
    perime = creer_devis_orm(
        autre, grille_2024_14, organismes["cdg"], rang=8, validite=-1
    )
    brouillon = creer_devis_orm(
        autre, grille_2024_14, organismes["cdg"], rang=9, statut="brouillon"
    )

    def numeros(requete):
        html = agent.get(f"/gestion/devis/?{requete}").content.decode()
        return {
            d.pk
            for d in (emis, perime, brouillon)
            if f'href="/gestion/devis/{d.pk}/"' in html
        }

    assert numeros("emetteur=fibre") == {emis.pk}
    assert numeros("emetteur=cdg") == {perime.pk, brouillon.pk}
    assert numeros("statut=emis") == {emis.pk}
    assert numeros("statut=expire") == {perime.pk}
    assert numeros("statut=brouillon") == {brouillon.pk}
    assert numeros(f"collectivite={ruitz.pk}") == {emis.pk}
    assert numeros("q=LFN5962-2024-0007") == {emis.pk}
    assert numeros("q=0008") == {perime.pk}
    assert numeros("annee=2024") == {emis.pk, perime.pk} | (
        {brouillon.pk} if timezone.localdate().year == 2024 else set()
    )
    assert numeros(f"annee={timezone.localdate().year}") >= {brouillon.pk}
    html = agent.get("/gestion/devis/?statut=expire").content.decode()
    assert "Expiré" in html


def test_a_bad_filter_value_is_reported_not_a_500(agent, grille_2024_14):
    reponse = agent.get("/gestion/devis/?annee=deux-mille&statut=inconnu")

    texte = html.unescape(reponse.content.decode())
    assert reponse.status_code == 200
    # Chaque valeur refusée est signalée en français, sous son champ.
    assert "Sélectionnez un choix valide. inconnu n’en fait pas partie." in texte
    assert "Saisissez un nombre." in texte


# --- Devis du tableau de bord et de la page collectivité -------------------------


def _rendre(gabarit: str, **contexte) -> str:
    return Template(gabarit).render(Context(contexte))


def test_the_dashboard_lists_waiting_expiring_devis_and_portal_requests(
    grille_2024_14, organismes
):
    ruitz = CollectiviteFactory(nom="Ruitz")
    creer_devis_orm(ruitz, grille_2024_14, organismes["fibre"], rang=1, validite=10)
    creer_devis_orm(ruitz, grille_2024_14, organismes["cdg"], rang=2, validite=60)
    creer_devis_orm(ruitz, grille_2024_14, organismes["cdg"], rang=3, validite=-1)
    demande = DemandeDevis.objects.create(
        collectivite=ruitz, statut=DemandeDevis.Statut.DEMANDEE
    )
    html = _rendre(
        '{% include "devis/gestion/_tableau_de_bord.html" %}',
        bord=selectors.tableau_de_bord(),
    )
    en_attente, expirant = html.split("Expirent dans les 15 jours")
    assert "Devis en attente de réponse (2)" in en_attente
    assert "LFN5962-2024-0001" in en_attente and "CDG62-2024-0002" in en_attente
    assert "CDG62-2024-0003" not in html
    assert "(1)" in expirant and "LFN5962-2024-0001" in expirant
    assert "CDG62-2024-0002" not in expirant
    assert "Demandes à chiffrer (1)" in html
    assert f"/gestion/devis/demandes/{demande.pk}/modifier" in html


def test_the_dashboard_query_count_is_constant(grille_2024_14, organismes):
    def requetes():
        with CaptureQueriesContext(connection) as capture:
            _rendre(
                '{% include "devis/gestion/_tableau_de_bord.html" %}',
                bord=selectors.tableau_de_bord(),
            )
        return len(capture)

    ruitz = CollectiviteFactory()
    creer_devis_orm(ruitz, grille_2024_14, organismes["fibre"], rang=1)
    avant = requetes()
    for rang in range(2, 12):
        creer_devis_orm(
            CollectiviteFactory(), grille_2024_14, organismes["cdg"], rang=rang
        )
        DemandeDevis.objects.create(
            collectivite=ruitz, statut=DemandeDevis.Statut.DEMANDEE
        )
    assert requetes() == avant


def test_the_collectivite_page_lists_its_devis_and_links_a_new_one(
    grille_2024_14, organismes
):
    ruitz = CollectiviteFactory(nom="Ruitz")
    autre = CollectiviteFactory(nom="Quercamps")
    sien = creer_devis_orm(ruitz, grille_2024_14, organismes["fibre"], rang=1)
    creer_devis_orm(autre, grille_2024_14, organismes["fibre"], rang=2)
    with CaptureQueriesContext(connection) as capture:
        html = _rendre(
            '{% include "devis/gestion/_devis_collectivite.html" %}',
            collectivite=ruitz,
            devis_liste=list(selectors.devis_de_la_collectivite(ruitz)),
        )
    assert len(capture) == 1
    assert f"/gestion/devis/{sien.pk}/" in html
    assert "LFN5962-2024-0002" not in html
    assert f"/gestion/devis/nouveau?collectivite={ruitz.pk}" in html


def test_pages_have_no_inline_script_or_style(agent, brouillon_fibre):
    for url in (
        "/gestion/devis/",
        "/gestion/devis/nouveau",
        f"/gestion/devis/{brouillon_fibre.pk}/",
        f"/gestion/devis/demandes/{brouillon_fibre.demande_id}/modifier",
    ):
        html = agent.get(url).content.decode()
        assert "style=" not in html
        assert re.search(r"<script(?![^>]*\bsrc=)", html) is None
        assert Organisme.objects.exists()
