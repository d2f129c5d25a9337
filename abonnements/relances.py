"""Les relances (domaine §12) : un devis émis toujours sans réponse à
``ParametresRelances.devis_jours_avant_fin`` jours de la fin de sa validité
reçoit **une** relance, adressée à la collectivité (adresses de contact et
signataires du portail), avec le lien du portail ; elle est inscrite à
l'historique du devis.

:func:`relances_du_jour` (lancée chaque jour par ``manage.py relancer``, en
cron) enregistre les relances dues puis met leur envoi en file
(``abonnements.tasks.envoyer_relance``) : un serveur de messagerie lent ou en
panne ne retient rien ; un envoi en échec reste visible (« Envoi en échec ») et
est retenté le lendemain, jusqu'à ``tentatives_max``.
"""

from __future__ import annotations

import datetime
import logging

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from abonnements.models import ParametresRelances, Relance
from conventions.formats import format_date
from conventions.models import Adhesion
from devis import tasks as devis_tasks
from devis.models import Devis, EnvoiDevis, EvenementDevis

journal = logging.getLogger(__name__)


def destinataires(devis: Devis) -> list[str]:
    adresses = list(devis.collectivite.liste_emails)
    adresses += list(
        Adhesion.objects.filter(
            collectivite_id=devis.collectivite_id,
            role=Adhesion.Role.SIGNATAIRE,
            utilisateur__is_active=True,
        ).values_list("utilisateur__email", flat=True)
    )
    return sorted(dict.fromkeys(a.lower() for a in adresses))


def lien_portail(devis: Devis) -> str:
    chemin = reverse(
        "portail:devis", kwargs={"cid": devis.collectivite_id, "pk": devis.pk}
    )
    return settings.ADRESSE_SITE.rstrip("/") + chemin


def relances_du_jour(jour: datetime.date | None = None) -> int:
    """Enregistre les relances dues ``jour`` et met en file celles à envoyer
    (nouvelles, ou en échec sous le plafond de tentatives) ; renvoie combien."""
    from abonnements import tasks

    jour = jour or timezone.localdate()
    parametres = ParametresRelances.actuels()
    limite = jour + datetime.timedelta(days=parametres.devis_jours_avant_fin)
    dus = Devis.objects.filter(
        statut=Devis.Statut.EMIS, date_validite__gte=jour, date_validite__lte=limite
    ).exclude(relances__motif=Relance.Motif.DEVIS_FIN_VALIDITE)
    with transaction.atomic():
        for devis in dus:
            Relance.objects.get_or_create(
                devis=devis, motif=Relance.Motif.DEVIS_FIN_VALIDITE
            )
        a_envoyer = list(
            Relance.objects.filter(
                statut__in=[Relance.Statut.A_ENVOYER, Relance.Statut.ECHEC],
                tentatives__lt=parametres.tentatives_max,
                devis__statut=Devis.Statut.EMIS,
            ).values_list("pk", flat=True)
        )
        for pk in a_envoyer:
            transaction.on_commit(lambda pk=pk: tasks.envoyer_relance.enqueue(pk))
        # Les envois de devis en échec sont retentés chaque jour, eux aussi.
        envois = list(
            EnvoiDevis.objects.filter(
                statut=EnvoiDevis.Statut.ECHEC, tentatives__lt=parametres.tentatives_max
            ).values_list("pk", flat=True)
        )
        for pk in envois:
            transaction.on_commit(lambda pk=pk: devis_tasks.envoyer_devis.enqueue(pk))
    return len(a_envoyer) + len(envois)


def envoyer(relance_id: int) -> Relance:
    """Envoie une relance (tâche de fond) ; l'issue est écrite sur la relance et,
    une fois partie, à l'historique du devis."""
    with transaction.atomic():
        relance = (
            Relance.objects.select_for_update(of=("self",))
            .select_related("devis__collectivite", "devis__emetteur")
            .get(pk=relance_id)
        )
        if relance.statut == Relance.Statut.ENVOYEE:
            return relance  # déjà partie : jamais deux fois
        devis = relance.devis
        adresses = destinataires(devis)
        relance.tentatives += 1
        relance.destinataires = ", ".join(adresses)
        if not adresses:
            relance.statut = Relance.Statut.ECHEC
            relance.erreur = (
                "Aucune adresse : renseignez le contact de la collectivité."
            )
            relance.save()
            return relance
        message = EmailMessage(
            subject=f"Rappel : le devis {devis.numero} est valable jusqu'au "
            f"{format_date(devis.date_validite)}",
            body=(
                f"Bonjour,\n\nLe devis {devis.numero} de {devis.emetteur.nom} pour "
                f"{devis.collectivite.nom} attend votre réponse ; il est valable "
                f"jusqu'au {format_date(devis.date_validite)}.\n\n"
                f"Vous pouvez le consulter et donner votre bon pour accord sur le "
                f"portail : {lien_portail(devis)}\n\n"
                "Centre de Gestion du Pas-de-Calais"
            ),
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=adresses,
        )
        try:
            message.send()
        except Exception as erreur:
            journal.exception("Relance %s non envoyée", relance.pk)
            relance.statut = Relance.Statut.ECHEC
            relance.erreur = str(erreur)[:500]
            relance.save()
            return relance
        relance.statut = Relance.Statut.ENVOYEE
        relance.erreur = ""
        relance.envoyee_le = timezone.now()
        relance.save()
        EvenementDevis.objects.create(
            devis=devis,
            statut=devis.statut,
            commentaire=f"Relance envoyée à {relance.destinataires} (fin de validité "
            f"le {format_date(devis.date_validite)}).",
        )
    return relance
