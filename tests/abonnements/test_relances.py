"""Les relances : un devis émis sans réponse à 15 jours [param] de la fin de sa
validité reçoit une seule relance (contact et signataires du portail, lien du
portail), inscrite à son historique ; un envoi en échec reste visible et est
retenté."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.management import call_command

from abonnements.models import ParametresRelances, Relance
from abonnements.relances import relances_du_jour

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("pdf_rapide")]


def _relancer(jour, capture):
    with capture(execute=True):
        return relances_du_jour(jour)


def test_a_devis_near_its_end_gets_one_reminder_with_the_portal_link(
    devis_emis, sophie, mailoutbox, django_capture_on_commit_callbacks, settings
):
    settings.ADRESSE_SITE = "https://conventions.cdg62.fr"
    jour = devis_emis.date_validite - datetime.timedelta(days=15)

    _relancer(jour, django_capture_on_commit_callbacks)
    _relancer(jour + datetime.timedelta(days=1), django_capture_on_commit_callbacks)

    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert set(message.to) == {
        "mairie@ruitz.example",
        "secretariat@ruitz.example",
        "sophie@mairie-ruitz.fr",
    }
    assert devis_emis.numero in message.subject
    lien = (
        f"https://conventions.cdg62.fr/portail/{devis_emis.collectivite_id}"
        f"/devis/{devis_emis.pk}/"
    )
    assert lien in message.body
    relance = Relance.objects.get(devis=devis_emis)
    assert relance.statut == Relance.Statut.ENVOYEE
    assert (
        devis_emis.evenements.filter(commentaire__startswith="Relance envoyée").count()
        == 1
    )


def test_no_reminder_before_the_delay_or_for_an_answered_devis(
    devis_emis, alice_agent, mailoutbox, django_capture_on_commit_callbacks
):
    trop_tot = devis_emis.date_validite - datetime.timedelta(days=16)
    _relancer(trop_tot, django_capture_on_commit_callbacks)
    from devis import services

    services.devis_refuser(
        devis=devis_emis, motif="Trop cher", par=alice_agent, canal="papier"
    )
    _relancer(devis_emis.date_validite, django_capture_on_commit_callbacks)

    assert mailoutbox == []
    assert not Relance.objects.exists()


def test_the_delay_is_a_parameter_an_admin_changes(
    devis_emis, mailoutbox, django_capture_on_commit_callbacks
):
    ParametresRelances.objects.update_or_create(
        pk=1, defaults={"devis_jours_avant_fin": 30}
    )

    _relancer(
        devis_emis.date_validite - datetime.timedelta(days=30),
        django_capture_on_commit_callbacks,
    )

    assert len(mailoutbox) == 1


def test_a_failed_send_is_visible_and_retried_the_next_day(
    devis_emis, mailoutbox, django_capture_on_commit_callbacks, monkeypatch
):
    jour = devis_emis.date_validite - datetime.timedelta(days=10)

    def panne(self, *args, **kwargs):
        raise ConnectionRefusedError("serveur de messagerie injoignable")

    with monkeypatch.context() as m:
        m.setattr("django.core.mail.EmailMessage.send", panne)
        _relancer(jour, django_capture_on_commit_callbacks)
    relance = Relance.objects.get()
    assert (relance.statut, relance.tentatives) == (Relance.Statut.ECHEC, 1)
    assert "injoignable" in relance.erreur

    _relancer(jour + datetime.timedelta(days=1), django_capture_on_commit_callbacks)

    relance.refresh_from_db()
    assert (relance.statut, relance.tentatives) == (Relance.Statut.ENVOYEE, 2)
    assert len(mailoutbox) == 1


def test_the_daily_command_queues_the_reminders(devis_emis, monkeypatch):
    monkeypatch.setattr(
        "abonnements.relances.timezone.localdate",
        lambda: devis_emis.date_validite - datetime.timedelta(days=5),
    )
    sortie = io.StringIO()

    call_command("relancer", stdout=sortie)

    assert "1 relance(s) mise(s) en file d'envoi." in sortie.getvalue()
    assert Relance.objects.get().devis == devis_emis


def test_reading_the_delays_writes_nothing(db):
    assert ParametresRelances.actuels().devis_jours_avant_fin == 15
    assert not ParametresRelances.objects.exists()


# --- Conventions et clés -------------------------------------------------------


def test_a_convention_reaching_its_end_date_is_reminded_once_to_the_agents(
    ruitz_sans_convention,
    grille_2024_14,
    alice_agent,
    agent,
    mailoutbox,
    django_capture_on_commit_callbacks,
    settings,
):
    from conventions.models import Convention
    from tests.factories import ConventionFactory, UtilisateurFactory

    settings.ADRESSE_SITE = "https://conventions.cdg62.fr"
    UtilisateurFactory(email="ancien@cdg62.fr", agent=True, is_active=False)
    convention = ConventionFactory(
        collectivite=ruitz_sans_convention,
        grille=grille_2024_14,
        statut=Convention.Statut.SIGNEE,
        date_effet=datetime.date(2024, 5, 2),
        date_fin=datetime.date(2027, 5, 2),
    )
    fin = convention.date_fin

    _relancer(fin - datetime.timedelta(days=61), django_capture_on_commit_callbacks)
    assert mailoutbox == []
    _relancer(fin - datetime.timedelta(days=60), django_capture_on_commit_callbacks)
    _relancer(fin - datetime.timedelta(days=59), django_capture_on_commit_callbacks)

    (message,) = mailoutbox
    assert message.to == ["alice@cdg62.fr"]
    assert "Ruitz" in message.subject and "2 mai 2027" in message.subject
    assert f"https://conventions.cdg62.fr/gestion/conventions/{convention.pk}/" in (
        message.body
    )
    relance = Relance.objects.get(convention=convention)
    assert relance.statut == Relance.Statut.ENVOYEE
    page = agent.get(f"/gestion/conventions/{convention.pk}/").content.decode()
    assert "Convention arrivant à sa date de fin : envoyée le" in page


def _cle_remise(ruitz, alice_agent, *, le):
    from abonnements import cles
    from abonnements.models import CleSignature
    from devis import services
    from tarifs.calcul import LigneDemandee

    (fibre,) = [
        d
        for d in services.devis_creer_brouillons(
            collectivite=ruitz,
            lignes=[LigneDemandee("cle-2ans-cdg", 1)],
            par=alice_agent,
        )
        if d.emetteur.code == "fibre"
    ]
    fibre = services.devis_emettre(devis=fibre, par=alice_agent)
    services.devis_accepter(
        devis=fibre,
        signataire_nom="Jeanne Dupont",
        signataire_qualite="Maire",
        par=alice_agent,
        canal="papier",
    )
    return cles.cle_remettre(
        cle=CleSignature.objects.get(devis=fibre),
        titulaire_nom="Jeanne Dupont",
        titulaire_fonction="Maire",
        remise_le=le,
        par=alice_agent,
    )


def test_a_key_about_to_expire_is_reminded_once_to_the_mairie_and_the_agents(
    ruitz, sophie, alice_agent, agent, mailoutbox, django_capture_on_commit_callbacks
):
    cle = _cle_remise(ruitz, alice_agent, le=datetime.date(2025, 3, 1))
    assert cle.expire_le == datetime.date(2027, 3, 1)

    _relancer(datetime.date(2026, 12, 30), django_capture_on_commit_callbacks)
    assert mailoutbox == []  # 60 jours avant : le 31 décembre 2026
    _relancer(datetime.date(2026, 12, 31), django_capture_on_commit_callbacks)
    _relancer(datetime.date(2027, 1, 1), django_capture_on_commit_callbacks)

    mairie, agents = mailoutbox
    assert set(mairie.to) == {
        "mairie@ruitz.example",
        "secretariat@ruitz.example",
        "sophie@mairie-ruitz.fr",
    }
    assert mairie.subject == "Votre clé de signature expire le 1er mars 2027"
    assert f"/portail/{ruitz.pk}/" in mairie.body
    assert "Jeanne Dupont (Maire)" in mairie.body
    assert agents.to == ["alice@cdg62.fr"]
    assert f"/gestion/collectivites/{ruitz.pk}/" in agents.body
    relance = Relance.objects.get(cle=cle)
    assert relance.statut == Relance.Statut.ENVOYEE
    fiche = agent.get(f"/gestion/collectivites/{ruitz.pk}/").content.decode()
    assert "Relance envoyée le" in fiche


def test_no_key_reminder_once_its_holder_has_left(
    ruitz, alice_agent, mailoutbox, django_capture_on_commit_callbacks
):
    from abonnements import cles

    cle = _cle_remise(ruitz, alice_agent, le=datetime.date(2025, 3, 1))
    cles.nouveau_signataire(collectivite=ruitz, nom="Paul Martin", par=alice_agent)

    _relancer(datetime.date(2027, 1, 15), django_capture_on_commit_callbacks)

    assert mailoutbox == []
    assert not Relance.objects.filter(cle=cle).exists()


def test_a_reminder_is_attached_to_exactly_one_object_of_its_kind(devis_emis):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Relance.objects.create(motif=Relance.Motif.CONVENTION_FIN, devis=devis_emis)
