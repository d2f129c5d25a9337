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
