"""Portail des secrétaires de mairie : ce que chacun voit, et rien de plus.

La distribution : sophie, signataire de Ruitz et de Quercamps ; claire,
consultation de Ruitz seulement ; bob, signataire de Beuvry seulement ; alice,
agente du CDG. Ruitz a une convention signée, une demande avec deux devis émis
(services et accompagnement) et un brouillon ; Beuvry a son propre devis émis.
"""

from __future__ import annotations

import datetime
import hashlib
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile

from conventions.models import Adhesion
from devis.models import DemandeDevis
from tests.factories import (
    UtilisateurFactory,
    devis_emis_pour,
    pdf_octets,
)
from tests.outils import lu

SIGNATAIRE = Adhesion.Role.SIGNATAIRE
CONSULTATION = Adhesion.Role.CONSULTATION


pytestmark = pytest.mark.usefixtures("pdf_rapide")


def urls_de_lecture(m) -> list[str]:
    cid, pk, conv = m.ruitz.pk, m.fibre.pk, m.convention.pk
    return [
        f"/portail/{cid}/",
        f"/portail/{cid}/devis/{pk}/",
        f"/portail/{cid}/devis/{pk}/pdf",
        f"/portail/{cid}/conventions/{conv}/pdf",
        f"/portail/{cid}/demander",
    ]


def urls_d_action(m) -> list[str]:
    cid, pk = m.ruitz.pk, m.fibre.pk
    return [
        f"/portail/{cid}/devis/{pk}/accepter",
        f"/portail/{cid}/devis/{pk}/refuser",
        f"/portail/{cid}/demandes/{m.fibre.demande_id}/accepter",
    ]


# --- Qui arrive où ----------------------------------------------------------


def test_it_sends_anonymous_visitors_to_the_login_page(client, monde_portail):
    for url in [
        "/portail/",
        *urls_de_lecture(monde_portail),
        *urls_d_action(monde_portail),
    ]:
        reponse = client.get(url)
        assert reponse.status_code == 302, url
        assert reponse["Location"].startswith("/connexion/?next=/portail/"), url


def test_it_sends_agents_and_admins_to_the_back_office(
    client, monde_portail, admin_user
):
    for utilisateur in (monde_portail.alice, admin_user):
        client.force_login(utilisateur)
        for url in ["/portail/", *urls_de_lecture(monde_portail)]:
            reponse = client.get(url)
            assert reponse.status_code == 302, url
            assert reponse["Location"] == "/gestion/", url
        reponse = client.post(urls_d_action(monde_portail)[0], {})
        assert reponse["Location"] == "/gestion/"


def test_it_shows_a_chooser_of_her_collectivites_only(client, monde_portail):
    client.force_login(monde_portail.sophie)
    reponse = client.get("/portail/")
    assert reponse.status_code == 200
    texte = lu(reponse)
    assert "Ruitz" in texte and "Quercamps" in texte
    assert "Beuvry" not in texte
    assert f'href="/portail/{monde_portail.ruitz.pk}/"' in texte
    assert f'href="/portail/{monde_portail.quercamps.pk}/"' in texte
    # Ruitz : deux devis attendent sa réponse ; Quercamps : aucun.
    lignes = {ligne["collectivite"]: ligne for ligne in reponse.context["lignes"]}
    ruitz, quercamps = lignes[monde_portail.ruitz], lignes[monde_portail.quercamps]
    assert (ruitz["nb_en_attente"], quercamps["nb_en_attente"]) == (2, 0)
    assert ruitz["categorie"] == "B" and quercamps["categorie"] == "A"
    assert "Signée (en vigueur)" in texte


def test_it_goes_straight_to_the_only_collectivite(client, monde_portail):
    client.force_login(monde_portail.claire)
    reponse = client.get("/portail/")
    assert reponse.status_code == 302
    assert reponse["Location"] == f"/portail/{monde_portail.ruitz.pk}/"


def test_it_tells_a_user_without_membership_to_contact_the_cdg(client, monde_portail):
    client.force_login(UtilisateurFactory(email="orpheline@mairie.fr"))
    reponse = client.get("/portail/")
    assert reponse.status_code == 200
    assert (
        "Votre compte n'est rattaché à aucune collectivité : contactez le CDG 62"
        in lu(reponse)
    )


def test_the_home_page_sends_a_secretary_to_the_portal(client, monde_portail):
    client.force_login(monde_portail.claire)
    assert client.get("/")["Location"] == "/portail/"


# --- La page d'une collectivité -------------------------------------------------


def test_it_shows_identity_category_convention_and_issued_devis(client, monde_portail):
    client.force_login(monde_portail.claire)
    reponse = client.get(f"/portail/{monde_portail.ruitz.pk}/")
    assert reponse.status_code == 200
    texte = lu(reponse)
    assert "Ruitz" in texte
    assert "B — population totale de 1\u00a0500 habitants (2021)" in texte
    assert "Signée (en vigueur)" in texte
    assert (
        f"/portail/{monde_portail.ruitz.pk}/conventions/{monde_portail.convention.pk}/pdf"
        in texte
    )
    assert monde_portail.fibre.numero in texte and monde_portail.cdg.numero in texte
    assert "60,00\u00a0€" in texte  # messagerie 3 × 20 €
    (groupe,) = reponse.context["groupes"]
    assert [d.pk for d in groupe["devis"]] == [
        monde_portail.fibre.pk,
        monde_portail.cdg.pk,
    ]
    assert monde_portail.devis_beuvry.numero not in texte


def test_it_never_lists_a_draft(client, monde_portail):
    client.force_login(monde_portail.sophie)
    reponse = client.get(f"/portail/{monde_portail.ruitz.pk}/")
    listes = [d.pk for g in reponse.context["groupes"] for d in g["devis"]]
    assert monde_portail.brouillon.pk not in listes
    assert f"/devis/{monde_portail.brouillon.pk}/" not in lu(reponse)


def test_a_signataire_is_offered_the_joint_agreement_for_both_devis(
    client, monde_portail
):
    client.force_login(monde_portail.sophie)
    texte = lu(client.get(f"/portail/{monde_portail.ruitz.pk}/"))
    assert "Bon pour accord pour les deux devis" in texte
    assert f"/demandes/{monde_portail.fibre.demande_id}/accepter" in texte


def test_a_consultation_member_is_not_offered_any_agreement_form(client, monde_portail):
    client.force_login(monde_portail.claire)
    texte = lu(client.get(f"/portail/{monde_portail.ruitz.pk}/"))
    assert "/accepter" not in texte
    texte = lu(
        client.get(f"/portail/{monde_portail.ruitz.pk}/devis/{monde_portail.fibre.pk}/")
    )
    assert "/accepter" not in texte and "/refuser" not in texte
    assert "Seul un membre signataire" in texte


def test_it_lists_the_demandes_waiting_for_the_cdg(client, monde_portail):
    DemandeDevis.objects.create(
        collectivite=monde_portail.ruitz,
        statut=DemandeDevis.Statut.DEMANDEE,
        lignes_demandees=[{"code": "page-internet", "quantite": 1}],
        demandee_par=monde_portail.claire,
    )
    client.force_login(monde_portail.sophie)
    texte = lu(client.get(f"/portail/{monde_portail.ruitz.pk}/"))
    assert "Page internet" in texte
    assert "claire@mairie-ruitz.fr" in texte


# --- Isolation ------------------------------------------------------------------


def test_a_signataire_of_another_collectivite_gets_404_everywhere(
    client, monde_portail
):
    client.force_login(monde_portail.bob)
    for url in urls_de_lecture(monde_portail):
        assert client.get(url).status_code == 404, url
    for url in urls_d_action(monde_portail):
        assert client.post(url, {}).status_code == 404, url
    assert (
        client.post(f"/portail/{monde_portail.ruitz.pk}/chiffrage", {}).status_code
        == 404
    )


def test_a_member_reads_every_page_of_her_collectivite(client, monde_portail):
    for utilisateur in (monde_portail.claire, monde_portail.sophie):
        client.force_login(utilisateur)
        for url in urls_de_lecture(monde_portail):
            assert client.get(url).status_code == 200, url


def test_a_foreign_devis_under_her_own_collectivite_is_404(client, monde_portail):
    client.force_login(monde_portail.sophie)
    cid, pk = monde_portail.ruitz.pk, monde_portail.devis_beuvry.pk
    for url in (f"/portail/{cid}/devis/{pk}/", f"/portail/{cid}/devis/{pk}/pdf"):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/portail/{cid}/devis/{pk}/accepter", {}).status_code == 404
    autre = monde_portail.beuvry.conventions.get()
    assert client.get(f"/portail/{cid}/conventions/{autre.pk}/pdf").status_code == 404
    demande = monde_portail.devis_beuvry.demande_id
    assert client.post(f"/portail/{cid}/demandes/{demande}/accepter").status_code == 404
    # Une devis de Ruitz sous l'adresse de Quercamps (qu'elle voit aussi) : 404.
    url = f"/portail/{monde_portail.quercamps.pk}/devis/{monde_portail.fibre.pk}/"
    assert client.get(url).status_code == 404


def test_a_draft_is_404_even_for_its_own_collectivite(client, monde_portail):
    client.force_login(monde_portail.sophie)
    cid, pk = monde_portail.ruitz.pk, monde_portail.brouillon.pk
    assert client.get(f"/portail/{cid}/devis/{pk}/").status_code == 404
    assert client.get(f"/portail/{cid}/devis/{pk}/pdf").status_code == 404
    assert client.post(f"/portail/{cid}/devis/{pk}/accepter", {}).status_code == 404


def test_an_unknown_collectivite_is_404(client, monde_portail):
    client.force_login(monde_portail.sophie)
    assert client.get("/portail/999999/").status_code == 404


def test_a_get_on_an_action_is_not_allowed(client, monde_portail):
    client.force_login(monde_portail.sophie)
    for url in urls_d_action(monde_portail):
        assert client.get(url).status_code == 405, url


# --- Détail et PDF des devis ------------------------------------------------------


def test_it_shows_a_devis_with_its_lines_and_totals(client, monde_portail):
    client.force_login(monde_portail.claire)
    reponse = client.get(
        f"/portail/{monde_portail.ruitz.pk}/devis/{monde_portail.fibre.pk}/"
    )
    texte = lu(reponse)
    assert monde_portail.fibre.numero in texte
    assert "Émis" in texte
    assert "Messagerie" in texte
    assert "76,80\u00a0€" in texte  # clé de signature 1 an
    assert "136,80\u00a0€" in texte  # 60,00 + 76,80 la première année
    assert f"/portail/{monde_portail.ruitz.pk}/devis/{monde_portail.cdg.pk}/" in texte


def test_it_serves_the_stored_pdf_as_an_attachment(client, monde_portail):
    client.force_login(monde_portail.claire)
    reponse = client.get(
        f"/portail/{monde_portail.ruitz.pk}/devis/{monde_portail.fibre.pk}/pdf"
    )
    assert reponse.status_code == 200
    assert reponse["Content-Type"] == "application/pdf"
    assert reponse["Content-Disposition"] == (
        f'attachment; filename="{monde_portail.fibre.numero}.pdf"'
    )
    with monde_portail.fibre.pdf.open("rb") as fichier:
        assert b"".join(reponse.streaming_content) == fichier.read()


def test_it_serves_the_convention_pdf_and_its_signed_scan(client, monde_portail):
    client.force_login(monde_portail.claire)
    base = (
        f"/portail/{monde_portail.ruitz.pk}/conventions/{monde_portail.convention.pk}"
    )
    reponse = client.get(f"{base}/pdf")
    assert reponse.status_code == 200
    assert reponse["Content-Type"] == "application/pdf"
    assert reponse["Content-Disposition"].startswith("attachment;")
    assert reponse.content.startswith(b"%PDF")
    assert client.get(f"{base}/scan").status_code == 404  # pas encore de scan

    scan = pdf_octets()
    monde_portail.convention.scan_sha256 = hashlib.sha256(scan).hexdigest()
    monde_portail.convention.scan.save("scan.pdf", ContentFile(scan))
    reponse = client.get(f"{base}/scan")
    assert reponse.status_code == 200
    assert b"".join(reponse.streaming_content) == scan
    assert f"{base}/scan" in lu(client.get(f"/portail/{monde_portail.ruitz.pk}/"))


def test_an_expired_devis_says_so_and_offers_no_agreement(
    client, monde_portail, alice_agent
):
    ancien, _ = devis_emis_pour(
        monde_portail.ruitz, par=alice_agent, jour=datetime.date(2024, 6, 3)
    )
    assert ancien.date_validite == datetime.date(2024, 9, 1)
    client.force_login(monde_portail.sophie)
    texte = lu(client.get(f"/portail/{monde_portail.ruitz.pk}/devis/{ancien.pk}/"))
    assert "Expiré" in texte
    assert "Ce devis a expiré" in texte and "ne peut plus être accepté" in texte
    assert "/accepter" not in texte
    page = client.get(f"/portail/{monde_portail.ruitz.pk}/")
    groupe = next(g for g in page.context["groupes"] if g["demande"] == ancien.demande)
    assert not groupe["accord_commun"]


# --- Demander un devis -----------------------------------------------------------


def test_both_roles_may_open_the_request_form_without_a_collectivite_select(
    client, monde_portail
):
    for utilisateur in (monde_portail.claire, monde_portail.sophie):
        client.force_login(utilisateur)
        reponse = client.get(f"/portail/{monde_portail.ruitz.pk}/demander")
        assert reponse.status_code == 200
        assert 'name="quantite_messagerie-5go"' in lu(reponse)
        assert 'name="collectivite"' not in lu(reponse)
        assert f'hx-post="/portail/{monde_portail.ruitz.pk}/chiffrage"' in lu(reponse)


def test_a_request_becomes_a_demande_for_the_cdg(
    client, monde_portail, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(monde_portail.claire)
    with django_capture_on_commit_callbacks(execute=True):
        reponse = client.post(
            f"/portail/{monde_portail.ruitz.pk}/demander",
            {
                "quantite_messagerie-5go": "2",
                "quantite_antivirus-mise-en-service": "3",
                "intervention_antivirus-mise-en-service": "on",
                "commentaire": "Pour la rentrée",
                "action": "envoyer",
                # Une collectivité ne fixe aucun prix : ignoré.
                "prix_cdg_antivirus-mise-en-service": "1",
                "collectivite": str(monde_portail.beuvry.pk),
            },
        )
    assert reponse.status_code == 302
    assert reponse["Location"] == f"/portail/{monde_portail.ruitz.pk}/"
    demande = DemandeDevis.objects.get(statut=DemandeDevis.Statut.DEMANDEE)
    assert demande.collectivite == monde_portail.ruitz
    assert demande.demandee_par == monde_portail.claire
    assert demande.commentaire == "Pour la rentrée"
    assert demande.lignes_demandees == [
        {"code": "messagerie-5go", "quantite": 2, "intervention": False},
        {"code": "antivirus-mise-en-service", "quantite": 3, "intervention": True},
    ]
    assert not demande.devis.exists()
    page = client.get(reponse["Location"])
    assert "Votre demande a été transmise au CDG 62" in lu(page)
    (courriel,) = mailoutbox
    assert courriel.to == [monde_portail.alice.email]
    assert "Ruitz" in courriel.subject


def test_an_empty_request_is_refused_in_french_and_creates_nothing(
    client, monde_portail
):
    client.force_login(monde_portail.sophie)
    reponse = client.post(
        f"/portail/{monde_portail.ruitz.pk}/demander",
        {
            "quantite_messagerie-5go": "deux",
            "commentaire": "gardé",
            "action": "envoyer",
        },
    )
    assert reponse.status_code == 200
    assert "La quantité doit être un nombre entier." in lu(reponse)
    assert "gardé" in lu(reponse)
    assert not DemandeDevis.objects.filter(statut=DemandeDevis.Statut.DEMANDEE).exists()


def test_recalculating_does_not_send_the_request(client, monde_portail):
    client.force_login(monde_portail.sophie)
    reponse = client.post(
        f"/portail/{monde_portail.ruitz.pk}/demander",
        {"quantite_messagerie-5go": "2", "action": "recalculer"},
    )
    assert reponse.status_code == 200
    assert "40,00\u00a0€" in lu(reponse)
    assert not DemandeDevis.objects.filter(statut=DemandeDevis.Statut.DEMANDEE).exists()


def test_the_live_totals_use_the_pricing_engine(client, monde_portail):
    client.force_login(monde_portail.claire)
    reponse = client.post(
        f"/portail/{monde_portail.ruitz.pk}/chiffrage",
        {"quantite_messagerie-5go": "3", "quantite_forfait-categorie": "1"},
    )
    assert reponse.status_code == 200
    chiffrage = reponse.context["chiffrage"]
    assert chiffrage.categorie == "B"  # Ruitz, 1 500 habitants
    fibre = chiffrage.pour("fibre")
    assert fibre.total_annuel == Decimal("111.00")  # 3 × 20 + forfait B 51
    assert "Prix à établir par le CDG" not in lu(reponse)


def test_a_sur_devis_line_shows_a_price_to_be_set_by_the_cdg(client, monde_portail):
    client.force_login(monde_portail.sophie)
    reponse = client.post(
        f"/portail/{monde_portail.ruitz.pk}/chiffrage",
        {
            "quantite_antivirus-mise-en-service": "25",
            "intervention_antivirus-mise-en-service": "on",
            "prix_cdg_antivirus-mise-en-service": "100",
            "justification_cdg_antivirus-mise-en-service": "tenté",
        },
    )
    assert reponse.status_code == 200
    assert "Prix à établir par le CDG" in lu(reponse)
    assert 'name="prix_' not in lu(reponse)
    assert 'name="justification_' not in lu(reponse)
    assert reponse.context["chiffrage"].pour("cdg").sur_devis


def test_the_live_totals_of_another_collectivite_are_404(client, monde_portail):
    client.force_login(monde_portail.sophie)
    reponse = client.post(f"/portail/{monde_portail.beuvry.pk}/chiffrage", {})
    assert reponse.status_code == 404


def test_agents_are_sent_back_from_the_request_form(client, monde_portail):
    client.force_login(monde_portail.alice)
    reponse = client.get(f"/portail/{monde_portail.ruitz.pk}/demander")
    assert reponse["Location"] == "/gestion/"
