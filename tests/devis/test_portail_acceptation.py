"""Bon pour accord et refus sur le portail : qui peut, ce qui est enregistré,
qui est prévenu, et ce qui est refusé (en français, sans rien perdre)."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client

from devis.models import Devis
from tests.factories import UtilisateurFactory, devis_emis_pour
from tests.outils import lu

pytestmark = pytest.mark.usefixtures("pdf_rapide")

IP = "203.0.113.7"
ACCORD = {
    "acceptation-signataire_nom": "Jeanne Dupont",
    "acceptation-signataire_qualite": "Maire",
    "acceptation-engagement": "on",
}


def accord_commun(demande_id: int, **modifications) -> dict:
    donnees = {
        f"demande-{demande_id}-signataire_nom": "Jeanne Dupont",
        f"demande-{demande_id}-signataire_qualite": "Maire",
        f"demande-{demande_id}-engagement": "on",
    }
    donnees.update(modifications)
    return donnees


def url_devis(m, devis, action: str = "") -> str:
    return f"/portail/{m.ruitz.pk}/devis/{devis.pk}/{action}"


# --- Bon pour accord --------------------------------------------------------


def test_a_signataire_accepts_a_devis_and_everything_is_recorded(
    client, monde_portail, mailoutbox, django_capture_on_commit_callbacks
):
    UtilisateurFactory(email="berenice@cdg62.fr", agent=True)
    UtilisateurFactory(email="ancien@cdg62.fr", agent=True, is_active=False)
    client.force_login(monde_portail.sophie)
    avant = datetime.datetime.now(datetime.UTC)
    with django_capture_on_commit_callbacks(execute=True):
        reponse = client.post(
            url_devis(monde_portail, monde_portail.fibre, "accepter"),
            ACCORD,
            REMOTE_ADDR=IP,
        )
    assert reponse.status_code == 302
    assert reponse["Location"] == url_devis(monde_portail, monde_portail.fibre)

    devis = Devis.objects.get(pk=monde_portail.fibre.pk)
    assert devis.statut == Devis.Statut.ACCEPTE
    assert devis.reponse_par == monde_portail.sophie
    assert devis.signataire_nom == "Jeanne Dupont"
    assert devis.signataire_qualite == "Maire"
    assert devis.reponse_canal == "portail"
    assert devis.reponse_ip == IP
    assert devis.accepte_le >= avant
    # L'autre devis de la demande n'est pas touché.
    assert Devis.objects.get(pk=monde_portail.cdg.pk).statut == Devis.Statut.EMIS

    (courriel,) = mailoutbox
    assert sorted(courriel.to) == ["alice@cdg62.fr", "berenice@cdg62.fr"]
    assert "Ruitz" in courriel.subject and devis.numero in courriel.subject
    assert "Jeanne Dupont, Maire" in courriel.body
    assert "sophie@mairie-ruitz.fr" in courriel.body

    page = lu(client.get(reponse["Location"]))
    assert "Accepté" in page
    assert "Votre bon pour accord sur le devis" in page
    assert "par Jeanne Dupont, Maire" in page
    assert "/accepter" not in page


def test_both_devis_of_a_demande_are_accepted_in_one_step(
    client, monde_portail, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(monde_portail.sophie)
    demande = monde_portail.fibre.demande_id
    with django_capture_on_commit_callbacks(execute=True):
        reponse = client.post(
            f"/portail/{monde_portail.ruitz.pk}/demandes/{demande}/accepter",
            accord_commun(demande),
            REMOTE_ADDR=IP,
        )
    assert reponse.status_code == 302
    assert reponse["Location"] == f"/portail/{monde_portail.ruitz.pk}/"
    for devis in Devis.objects.filter(
        pk__in=[monde_portail.fibre.pk, monde_portail.cdg.pk]
    ):
        assert devis.statut == Devis.Statut.ACCEPTE
        assert (devis.reponse_par, devis.reponse_ip) == (monde_portail.sophie, IP)
        assert (devis.signataire_nom, devis.signataire_qualite) == (
            "Jeanne Dupont",
            "Maire",
        )
    (courriel,) = mailoutbox
    assert (
        monde_portail.fibre.numero in courriel.body
        and monde_portail.cdg.numero in courriel.body
    )
    page = lu(client.get(reponse["Location"]))
    assert f"{monde_portail.fibre.numero} et {monde_portail.cdg.numero}" in page


def test_a_joint_agreement_without_the_checkbox_is_shown_again(client, monde_portail):
    client.force_login(monde_portail.sophie)
    demande = monde_portail.fibre.demande_id
    donnees = accord_commun(demande)
    del donnees[f"demande-{demande}-engagement"]
    reponse = client.post(
        f"/portail/{monde_portail.ruitz.pk}/demandes/{demande}/accepter", donnees
    )
    assert reponse.status_code == 200
    page = lu(reponse)
    assert "Cochez « J'ai qualité pour engager la collectivité »" in page
    assert 'value="Jeanne Dupont"' in page
    assert not Devis.objects.filter(statut=Devis.Statut.ACCEPTE).exists()


def test_a_consultation_member_may_neither_accept_nor_refuse(
    client, monde_portail, mailoutbox
):
    client.force_login(monde_portail.claire)
    demande = monde_portail.fibre.demande_id
    reponses = [
        client.post(url_devis(monde_portail, monde_portail.fibre, "accepter"), ACCORD),
        client.post(
            url_devis(monde_portail, monde_portail.fibre, "refuser"),
            {"refus-motif": "Non"},
        ),
        client.post(
            f"/portail/{monde_portail.ruitz.pk}/demandes/{demande}/accepter",
            accord_commun(demande),
        ),
    ]
    assert [r.status_code for r in reponses] == [403, 403, 403]
    assert set(Devis.objects.values_list("statut", flat=True)) == {
        Devis.Statut.EMIS,
        Devis.Statut.BROUILLON,
    }
    assert mailoutbox == []


def test_a_signataire_of_another_collectivite_cannot_accept(client, monde_portail):
    client.force_login(monde_portail.bob)
    reponse = client.post(
        url_devis(monde_portail, monde_portail.fibre, "accepter"), ACCORD
    )
    assert reponse.status_code == 404
    assert Devis.objects.get(pk=monde_portail.fibre.pk).statut == Devis.Statut.EMIS


@pytest.mark.parametrize(
    ("champ", "valeur", "message"),
    [
        (
            "acceptation-engagement",
            None,
            "Cochez « J'ai qualité pour engager la collectivité »",
        ),
        ("acceptation-signataire_nom", "", "Indiquez le nom du signataire."),
        ("acceptation-signataire_nom", "   ", "Indiquez le nom du signataire."),
        (
            "acceptation-signataire_qualite",
            "",
            "Indiquez la qualité du signataire",
        ),
    ],
)
def test_an_incomplete_agreement_is_shown_again_with_its_values(
    client, monde_portail, mailoutbox, champ, valeur, message
):
    donnees = dict(ACCORD)
    if valeur is None:
        del donnees[champ]
    else:
        donnees[champ] = valeur
    client.force_login(monde_portail.sophie)
    reponse = client.post(
        url_devis(monde_portail, monde_portail.fibre, "accepter"), donnees
    )
    assert reponse.status_code == 200
    page = lu(reponse)
    assert message in page
    assert "Le bon pour accord n'a pas été enregistré." in page
    for cle, saisi in donnees.items():
        if cle != "acceptation-engagement" and saisi.strip():
            assert f'value="{saisi}"' in page
    assert Devis.objects.get(pk=monde_portail.fibre.pk).statut == Devis.Statut.EMIS
    assert mailoutbox == []


def test_an_expired_devis_cannot_be_accepted(
    client, monde_portail, alice_agent, mailoutbox
):
    ancien, _ = devis_emis_pour(
        monde_portail.ruitz, par=alice_agent, jour=datetime.date(2024, 6, 3)
    )
    client.force_login(monde_portail.sophie)
    reponse = client.post(url_devis(monde_portail, ancien, "accepter"), ACCORD)
    assert reponse.status_code == 200
    page = lu(reponse)
    assert f"Le devis {ancien.numero} a expiré" in page
    assert "il ne peut plus être accepté" in page
    assert "/accepter" not in page  # pas de bouton sur un devis expiré
    ancien.refresh_from_db()
    assert ancien.statut == Devis.Statut.EMIS and ancien.accepte_le is None
    assert mailoutbox == []


def test_an_accepted_devis_cannot_be_accepted_twice(client, monde_portail):
    client.force_login(monde_portail.sophie)
    client.post(url_devis(monde_portail, monde_portail.fibre, "accepter"), ACCORD)
    reponse = client.post(
        url_devis(monde_portail, monde_portail.fibre, "accepter"),
        {**ACCORD, "acceptation-signataire_nom": "Quelqu'un d'autre"},
    )
    assert reponse.status_code == 200
    assert "seul un devis émis peut être accepté" in lu(reponse)
    assert (
        Devis.objects.get(pk=monde_portail.fibre.pk).signataire_nom == "Jeanne Dupont"
    )


# --- Refus --------------------------------------------------------------------


def test_a_refusal_needs_a_reason(client, monde_portail, mailoutbox):
    client.force_login(monde_portail.sophie)
    reponse = client.post(
        url_devis(monde_portail, monde_portail.fibre, "refuser"), {"refus-motif": ""}
    )
    assert reponse.status_code == 200
    assert "Indiquez le motif du refus." in lu(reponse)
    assert Devis.objects.get(pk=monde_portail.fibre.pk).statut == Devis.Statut.EMIS
    assert mailoutbox == []


def test_a_signataire_refuses_with_a_reason(
    client, monde_portail, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(monde_portail.sophie)
    with django_capture_on_commit_callbacks(execute=True):
        reponse = client.post(
            url_devis(monde_portail, monde_portail.fibre, "refuser"),
            {"refus-motif": "Budget non voté"},
            REMOTE_ADDR=IP,
        )
    assert reponse.status_code == 302
    devis = Devis.objects.get(pk=monde_portail.fibre.pk)
    assert devis.statut == Devis.Statut.REFUSE
    assert devis.refus_motif == "Budget non voté"
    assert (devis.reponse_par, devis.reponse_canal, devis.reponse_ip) == (
        monde_portail.sophie,
        "portail",
        IP,
    )
    (courriel,) = mailoutbox
    assert "Budget non voté" in courriel.body
    page = lu(client.get(reponse["Location"]))
    assert "Refusé" in page and "Budget non voté" in page


# --- CSRF ------------------------------------------------------------------------


def test_a_post_without_csrf_token_is_refused(monde_portail):
    client = Client(enforce_csrf_checks=True)
    client.force_login(monde_portail.sophie)
    reponse = client.post(
        url_devis(monde_portail, monde_portail.fibre, "accepter"), ACCORD
    )
    assert reponse.status_code == 403
    assert Devis.objects.get(pk=monde_portail.fibre.pk).statut == Devis.Statut.EMIS
    # Avec le jeton de la page, le même envoi passe.
    page = client.get(url_devis(monde_portail, monde_portail.fibre))
    jeton = page.context["csrf_token"]
    reponse = client.post(
        url_devis(monde_portail, monde_portail.fibre, "accepter"),
        {**ACCORD, "csrfmiddlewaretoken": str(jeton)},
    )
    assert reponse.status_code == 302


def test_a_mail_server_failure_does_not_undo_the_agreement(
    client, monde_portail, monkeypatch, django_capture_on_commit_callbacks
):
    def panne(*args, **kwargs):
        raise ConnectionRefusedError("serveur de messagerie injoignable")

    monkeypatch.setattr("django.core.mail.EmailMessage.send", panne)
    client.force_login(monde_portail.sophie)
    with django_capture_on_commit_callbacks(execute=True):
        reponse = client.post(
            url_devis(monde_portail, monde_portail.fibre, "accepter"), ACCORD
        )
    assert reponse.status_code == 302
    assert Devis.objects.get(pk=monde_portail.fibre.pk).statut == Devis.Statut.ACCEPTE
