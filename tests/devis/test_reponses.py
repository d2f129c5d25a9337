"""Après l'émission : acceptation, refus, expiration, annulation, duplication,
envoi par courriel (domaine §6)."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import timezone

from conventions.models import Adhesion
from devis import services
from devis.models import DemandeDevis, Devis, EnvoiDevis, EvenementDevis
from tests.factories import AdhesionFactory

pytestmark = pytest.mark.django_db


def _messages(erreur: pytest.ExceptionInfo) -> str:
    return " ".join(erreur.value.messages)


def _au(monkeypatch, jour: datetime.date) -> None:
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: jour)


@pytest.fixture
def deux_emis(brouillon_fibre, brouillon_cdg, alice_agent):
    return [
        services.devis_emettre(devis=brouillon_fibre, par=alice_agent),
        services.devis_emettre(devis=brouillon_cdg, par=alice_agent),
    ]


# --- Acceptation ---


def test_an_agent_records_a_paper_acceptance(devis_emis, alice_agent):
    devis = services.devis_accepter(
        devis=devis_emis,
        signataire_nom=" Camille Exemple ",
        signataire_qualite="Maire",
        par=alice_agent,
        canal="papier",
    )

    devis.refresh_from_db()
    assert devis.statut == Devis.Statut.ACCEPTE
    assert (devis.signataire_nom, devis.signataire_qualite) == (
        "Camille Exemple",
        "Maire",
    )
    assert (devis.reponse_par, devis.reponse_canal) == (alice_agent, "papier")
    assert devis.accepte_le is not None
    evenement = EvenementDevis.objects.filter(devis=devis).last()
    assert evenement.statut == Devis.Statut.ACCEPTE
    assert "Camille Exemple, Maire" in evenement.commentaire


def test_a_signatory_of_the_collectivite_accepts_on_the_portal(
    devis_emis, charlie_portail
):
    AdhesionFactory(
        utilisateur=charlie_portail,
        collectivite=devis_emis.collectivite,
        role=Adhesion.Role.SIGNATAIRE,
    )

    devis = services.devis_accepter(
        devis=devis_emis,
        signataire_nom="Camille Exemple",
        signataire_qualite="Maire",
        par=charlie_portail,
        canal="portail",
        ip="192.0.2.7",
    )

    devis.refresh_from_db()
    assert (devis.reponse_canal, devis.reponse_ip) == ("portail", "192.0.2.7")


@pytest.mark.parametrize("role", [Adhesion.Role.CONSULTATION, None])
def test_only_a_signatory_may_accept_on_the_portal(devis_emis, charlie_portail, role):
    if role:
        AdhesionFactory(
            utilisateur=charlie_portail, collectivite=devis_emis.collectivite, role=role
        )

    with pytest.raises(ValidationError) as erreur:
        services.devis_accepter(
            devis=devis_emis,
            signataire_nom="Camille Exemple",
            signataire_qualite="Maire",
            par=charlie_portail,
            canal="portail",
        )

    assert "Seul un signataire de Ruitz" in _messages(erreur)


def test_only_an_agent_records_a_paper_answer(devis_emis, charlie_portail):
    with pytest.raises(ValidationError) as erreur:
        services.devis_accepter(
            devis=devis_emis,
            signataire_nom="Camille Exemple",
            signataire_qualite="Maire",
            par=charlie_portail,
            canal="papier",
        )

    assert "Seul un agent du CDG" in _messages(erreur)


def test_acceptance_needs_the_signatory_name_and_title(devis_emis, alice_agent):
    with pytest.raises(ValidationError) as erreur:
        services.devis_accepter(
            devis=devis_emis,
            signataire_nom="",
            signataire_qualite=" ",
            par=alice_agent,
            canal="papier",
        )

    assert erreur.value.messages == [
        "Le nom du signataire est obligatoire.",
        "La qualité du signataire est obligatoire.",
    ]


def test_a_draft_cannot_be_accepted(brouillon_fibre, alice_agent):
    with pytest.raises(ValidationError) as erreur:
        services.devis_accepter(
            devis=brouillon_fibre,
            signataire_nom="Camille Exemple",
            signataire_qualite="Maire",
            par=alice_agent,
            canal="papier",
        )

    assert "seul un devis émis peut être accepté" in _messages(erreur)


def test_a_devis_past_its_validity_cannot_be_accepted(
    devis_emis, alice_agent, monkeypatch
):
    _au(monkeypatch, devis_emis.date_validite)
    assert not devis_emis.est_perime  # valable jusqu'au dernier jour inclus
    _au(monkeypatch, devis_emis.date_validite + datetime.timedelta(days=1))

    with pytest.raises(ValidationError) as erreur:
        services.devis_accepter(
            devis=devis_emis,
            signataire_nom="Camille Exemple",
            signataire_qualite="Maire",
            par=alice_agent,
            canal="papier",
        )

    assert "a expiré" in _messages(erreur)
    assert "ne peut plus être accepté" in _messages(erreur)
    devis_emis.refresh_from_db()
    assert devis_emis.statut == Devis.Statut.EMIS


def test_a_recorded_expired_devis_cannot_be_accepted(devis_emis, alice_agent):
    services.devis_expirer_perimes(
        aujourdhui=devis_emis.date_validite + datetime.timedelta(days=1)
    )

    with pytest.raises(ValidationError) as erreur:
        services.devis_accepter(
            devis=devis_emis,
            signataire_nom="Camille Exemple",
            signataire_qualite="Maire",
            par=alice_agent,
            canal="papier",
        )

    assert "a expiré" in _messages(erreur)


def test_a_request_is_accepted_in_one_step(deux_emis, alice_agent):
    acceptes = services.devis_accepter_demande(
        demande=deux_emis[0].demande,
        signataire_nom="Camille Exemple",
        signataire_qualite="Maire",
        par=alice_agent,
        canal="papier",
    )

    assert len(acceptes) == 2
    assert set(
        Devis.objects.filter(demande=deux_emis[0].demande).values_list(
            "statut", flat=True
        )
    ) == {Devis.Statut.ACCEPTE}


def test_accepting_a_request_is_all_or_nothing(
    brouillon_fibre, brouillon_cdg, organismes, alice_agent, monkeypatch
):
    organismes["cdg"].validite_jours = 10
    organismes["cdg"].save()
    fibre = services.devis_emettre(devis=brouillon_fibre, par=alice_agent)
    services.devis_emettre(devis=brouillon_cdg, par=alice_agent)
    _au(monkeypatch, timezone.localdate() + datetime.timedelta(days=20))

    with pytest.raises(ValidationError) as erreur:
        services.devis_accepter_demande(
            demande=fibre.demande,
            signataire_nom="Camille Exemple",
            signataire_qualite="Maire",
            par=alice_agent,
            canal="papier",
        )

    assert "a expiré" in _messages(erreur)
    assert not Devis.objects.filter(statut=Devis.Statut.ACCEPTE).exists()


def test_a_request_without_issued_devis_cannot_be_accepted(brouillons, alice_agent):
    with pytest.raises(ValidationError) as erreur:
        services.devis_accepter_demande(
            demande=brouillons[0].demande,
            signataire_nom="Camille Exemple",
            signataire_qualite="Maire",
            par=alice_agent,
            canal="papier",
        )

    assert "aucun devis émis" in _messages(erreur)


# --- Refus, annulation ---


def test_a_refusal_is_recorded_with_its_reason(devis_emis, alice_agent):
    devis = services.devis_refuser(
        devis=devis_emis, motif="Budget non voté.", par=alice_agent, canal="papier"
    )

    devis.refresh_from_db()
    assert (devis.statut, devis.refus_motif) == (
        Devis.Statut.REFUSE,
        "Budget non voté.",
    )
    assert devis.refuse_le is not None
    assert devis.reponse_par == alice_agent


def test_a_refusal_needs_a_reason(devis_emis, alice_agent):
    with pytest.raises(ValidationError) as erreur:
        services.devis_refuser(
            devis=devis_emis, motif=" ", par=alice_agent, canal="papier"
        )

    assert "motif du refus est obligatoire" in _messages(erreur)


@pytest.mark.parametrize("avant", ["emis", "accepte", "refuse", "expire"])
def test_cancelling_keeps_the_number_and_the_pdf(devis_emis, alice_agent, avant):
    if avant == "accepte":
        services.devis_accepter(
            devis=devis_emis,
            signataire_nom="Camille Exemple",
            signataire_qualite="Maire",
            par=alice_agent,
            canal="papier",
        )
    elif avant == "refuse":
        services.devis_refuser(
            devis=devis_emis, motif="Non.", par=alice_agent, canal="papier"
        )
    elif avant == "expire":
        services.devis_expirer_perimes(
            aujourdhui=devis_emis.date_validite + datetime.timedelta(days=1)
        )
    numero, sha = devis_emis.numero, devis_emis.pdf_sha256

    devis = services.devis_annuler(
        devis=devis_emis, motif="Erreur de quantité.", par=alice_agent
    )

    devis.refresh_from_db()
    assert devis.statut == Devis.Statut.ANNULE
    assert (devis.numero, devis.pdf_sha256) == (numero, sha)
    assert (devis.annulation_motif, devis.annule_par) == (
        "Erreur de quantité.",
        alice_agent,
    )
    assert devis.pdf.storage.exists(devis.pdf.name)


def test_cancelling_needs_a_reason_and_an_issued_devis(
    devis_emis, brouillon_cdg, alice_agent
):
    with pytest.raises(ValidationError) as sans_motif:
        services.devis_annuler(devis=devis_emis, motif="", par=alice_agent)
    with pytest.raises(ValidationError) as brouillon:
        services.devis_annuler(devis=brouillon_cdg, motif="Erreur.", par=alice_agent)
    services.devis_annuler(devis=devis_emis, motif="Erreur.", par=alice_agent)
    with pytest.raises(ValidationError) as deux_fois:
        services.devis_annuler(devis=devis_emis, motif="Erreur.", par=alice_agent)

    assert "motif de l'annulation est obligatoire" in _messages(sans_motif)
    assert "supprimez-le" in _messages(brouillon)
    assert "déjà annulé" in _messages(deux_fois)


# --- Expiration ---


def test_expiry_is_recorded_the_day_after_validity_and_is_idempotent(devis_emis):
    dernier_jour = devis_emis.date_validite

    assert services.devis_expirer_perimes(aujourdhui=dernier_jour) == 0
    assert (
        services.devis_expirer_perimes(
            aujourdhui=dernier_jour + datetime.timedelta(days=1)
        )
        == 1
    )
    assert (
        services.devis_expirer_perimes(
            aujourdhui=dernier_jour + datetime.timedelta(days=5)
        )
        == 0
    )

    devis_emis.refresh_from_db()
    assert devis_emis.statut == Devis.Statut.EXPIRE
    assert devis_emis.expire_le == dernier_jour + datetime.timedelta(days=1)
    assert EvenementDevis.objects.filter(devis=devis_emis, statut="expire").count() == 1


def test_the_daily_command_records_expired_devis(devis_emis, monkeypatch, capsys):
    _au(monkeypatch, devis_emis.date_validite + datetime.timedelta(days=1))

    call_command("expirer_devis")
    call_command("expirer_devis")

    devis_emis.refresh_from_db()
    assert devis_emis.statut == Devis.Statut.EXPIRE
    sortie = capsys.readouterr().out
    assert "1 devis passé(s) à l'état expiré." in sortie
    assert "0 devis passé(s) à l'état expiré." in sortie


# --- Duplication ---


def test_duplicating_makes_new_drafts_from_the_request(deux_emis, alice_agent):
    copies = services.devis_dupliquer(devis=deux_emis[0], par=alice_agent)

    assert {d.emetteur.code for d in copies} == {"fibre", "cdg"}
    assert all(d.est_brouillon and d.numero is None for d in copies)
    assert copies[0].demande != deux_emis[0].demande
    assert copies[0].demande.lignes_demandees == deux_emis[0].demande.lignes_demandees
    assert DemandeDevis.objects.count() == 2


# --- Envoi ---


def test_sending_mails_the_stored_pdf_and_logs_it(
    devis_emis, alice_agent, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        envoi = services.devis_envoyer(devis=devis_emis, par=alice_agent)

    envoi.refresh_from_db()
    assert envoi.statut == EnvoiDevis.Statut.ENVOYE
    assert len(mailoutbox) == 1
    courriel = mailoutbox[0]
    assert courriel.to == ["mairie@ruitz.example", "secretariat@ruitz.example"]
    assert devis_emis.numero in courriel.subject
    assert "Bon pour accord" in courriel.body
    nom, contenu, type_mime = courriel.attachments[0]
    assert (nom, type_mime) == (f"{devis_emis.numero}.pdf", "application/pdf")
    devis_emis.refresh_from_db()
    assert contenu == devis_emis.pdf.open("rb").read()
    assert envoi.destinataires == "mairie@ruitz.example, secretariat@ruitz.example"
    assert (
        EnvoiDevis.objects.filter(devis=devis_emis, envoye_par=alice_agent).count() == 1
    )
    assert (
        "Envoyé par courriel"
        in EvenementDevis.objects.filter(devis=devis_emis).last().commentaire
    )


def test_the_request_never_waits_for_the_mail_server(
    devis_emis, alice_agent, mailoutbox, django_capture_on_commit_callbacks
):
    """Rien ne part pendant la requête : le courriel attend la validation puis
    la file de tâches."""
    with django_capture_on_commit_callbacks(execute=False) as rappels:
        envoi = services.devis_envoyer(devis=devis_emis, par=alice_agent)

    assert mailoutbox == []
    assert envoi.statut == EnvoiDevis.Statut.A_ENVOYER
    assert len(rappels) == 1


def test_a_failed_send_is_visible_on_the_devis_and_retried_by_the_daily_job(
    agent,
    devis_emis,
    alice_agent,
    mailoutbox,
    django_capture_on_commit_callbacks,
    monkeypatch,
):
    from abonnements.relances import relances_du_jour

    def panne(self, *args, **kwargs):
        raise ConnectionRefusedError("serveur de messagerie injoignable")

    with monkeypatch.context() as m, django_capture_on_commit_callbacks(execute=True):
        m.setattr("django.core.mail.EmailMessage.send", panne)
        reponse = agent.post(f"/gestion/devis/{devis_emis.pk}/envoyer")
    envoi = EnvoiDevis.objects.get(devis=devis_emis)
    page = agent.get(f"/gestion/devis/{devis_emis.pk}/").content.decode()

    assert reponse.status_code == 302
    assert (envoi.statut, envoi.tentatives) == (EnvoiDevis.Statut.ECHEC, 1)
    assert "Envoi en échec : serveur de messagerie injoignable" in page

    with django_capture_on_commit_callbacks(execute=True):
        relances_du_jour()

    envoi.refresh_from_db()
    assert (envoi.statut, envoi.tentatives) == (EnvoiDevis.Statut.ENVOYE, 2)
    assert len(mailoutbox) == 1


def test_sending_needs_a_contact_address(devis_emis, alice_agent, mailoutbox):
    collectivite = devis_emis.collectivite
    collectivite.emails_contact = ""
    collectivite.save()

    with pytest.raises(ValidationError) as erreur:
        services.devis_envoyer(devis=devis_emis, par=alice_agent)

    assert "aucune adresse électronique de contact" in _messages(erreur)
    assert mailoutbox == []
    assert not EnvoiDevis.objects.exists()


def test_a_draft_is_not_sent(brouillon_fibre, alice_agent, mailoutbox):
    with pytest.raises(ValidationError) as erreur:
        services.devis_envoyer(devis=brouillon_fibre, par=alice_agent)

    assert "seul un devis émis" in _messages(erreur)
    assert mailoutbox == []


def test_an_altered_stored_pdf_is_not_sent(devis_emis, alice_agent, mailoutbox):
    devis_emis.refresh_from_db()
    with open(devis_emis.pdf.path, "wb") as fichier:
        fichier.write(b"%PDF-1.7 falsifie")

    with pytest.raises(ValidationError) as erreur:
        services.devis_envoyer(devis=devis_emis, par=alice_agent)

    assert "introuvable ou altéré" in _messages(erreur)
    assert mailoutbox == []
