"""Les relances (domaine §12), chacune envoyée **une** fois et inscrite à
l'historique de son objet :

- un devis émis toujours sans réponse à ``devis_jours_avant_fin`` jours de la
  fin de sa validité → la collectivité (adresses de contact et signataires du
  portail), avec le lien du devis sur le portail ;
- une convention signée à ``conventions_jours_avant_fin`` jours de sa date de
  fin → les agents du CDG, avec le lien de la convention ;
- une clé de signature active à ``cles_jours_avant_expiration`` jours de son
  expiration → la collectivité (lien du portail) et les agents (lien de la
  fiche, où « préparer le renouvellement » fait le brouillon).

Les délais sont dans ``ParametresRelances`` (administration).
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
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from abonnements.models import CleSignature, ParametresRelances, Relance
from conventions.formats import format_date
from conventions.models import Adhesion, Convention
from devis import tasks as devis_tasks
from devis.models import Devis, EnvoiDevis, EvenementDevis
from devis.notifications import destinataires_cdg

journal = logging.getLogger(__name__)

SIGNATURE = "Centre de Gestion du Pas-de-Calais"

# Une relance n'a plus lieu d'être si son objet a changé d'état entre-temps
# (devis accepté, convention résiliée, clé remplacée).
ENCORE_DUES = (
    Q(motif=Relance.Motif.DEVIS_FIN_VALIDITE, devis__statut=Devis.Statut.EMIS)
    | Q(
        motif=Relance.Motif.CONVENTION_FIN,
        convention__statut=Convention.Statut.SIGNEE,
    )
    | Q(motif=Relance.Motif.CLE_EXPIRATION, cle__statut=CleSignature.Statut.ACTIVE)
)


def _adresse(chemin: str) -> str:
    return settings.ADRESSE_SITE.rstrip("/") + chemin


def destinataires_collectivite(collectivite_id: int, contact: list[str]) -> list[str]:
    """Les adresses de contact de la collectivité et de ses signataires actifs
    du portail, sans doublon."""
    adresses = list(contact)
    adresses += list(
        Adhesion.objects.filter(
            collectivite_id=collectivite_id,
            role=Adhesion.Role.SIGNATAIRE,
            utilisateur__is_active=True,
        ).values_list("utilisateur__email", flat=True)
    )
    return sorted(dict.fromkeys(a.lower() for a in adresses))


def destinataires(devis: Devis) -> list[str]:
    return destinataires_collectivite(
        devis.collectivite_id, devis.collectivite.liste_emails
    )


def lien_portail(devis: Devis) -> str:
    return _adresse(
        reverse("portail:devis", kwargs={"cid": devis.collectivite_id, "pk": devis.pk})
    )


def relances_dues(jour: datetime.date, parametres: ParametresRelances):
    """Les objets à relancer ``jour`` qui ne l'ont pas encore été, par motif."""

    def fenetre(jours: int) -> tuple[datetime.date, datetime.date]:
        return jour, jour + datetime.timedelta(days=jours)

    return {
        Relance.Motif.DEVIS_FIN_VALIDITE: (
            "devis",
            Devis.objects.filter(
                statut=Devis.Statut.EMIS,
                date_validite__range=fenetre(parametres.devis_jours_avant_fin),
            ).exclude(relances__motif=Relance.Motif.DEVIS_FIN_VALIDITE),
        ),
        Relance.Motif.CONVENTION_FIN: (
            "convention",
            Convention.objects.filter(
                statut=Convention.Statut.SIGNEE,
                date_fin__range=fenetre(parametres.conventions_jours_avant_fin),
            ).exclude(relances__motif=Relance.Motif.CONVENTION_FIN),
        ),
        Relance.Motif.CLE_EXPIRATION: (
            "cle",
            CleSignature.objects.filter(
                statut=CleSignature.Statut.ACTIVE,
                expire_le__range=fenetre(parametres.cles_jours_avant_expiration),
            ).exclude(relances__motif=Relance.Motif.CLE_EXPIRATION),
        ),
    }


def relances_du_jour(jour: datetime.date | None = None) -> int:
    """Enregistre les relances dues ``jour`` et met en file celles à envoyer
    (nouvelles, ou en échec sous le plafond de tentatives) ; renvoie combien."""
    from abonnements import tasks

    jour = jour or timezone.localdate()
    parametres = ParametresRelances.actuels()
    with transaction.atomic():
        for motif, (champ, objets) in relances_dues(jour, parametres).items():
            for pk in objets.values_list("pk", flat=True):
                Relance.objects.get_or_create(motif=motif, **{f"{champ}_id": pk})
        a_envoyer = list(
            Relance.objects.filter(
                ENCORE_DUES,
                statut__in=[Relance.Statut.A_ENVOYER, Relance.Statut.ECHEC],
                tentatives__lt=parametres.tentatives_max,
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


def _courriel(sujet: str, corps: str, adresses: list[str]) -> EmailMessage:
    return EmailMessage(
        subject=sujet,
        body=f"Bonjour,\n\n{corps}\n\n{SIGNATURE}",
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=adresses,
    )


def _courriels_devis(devis: Devis) -> list[EmailMessage]:
    validite = format_date(devis.date_validite)
    return [
        _courriel(
            f"Rappel : le devis {devis.numero} est valable jusqu'au {validite}",
            f"Le devis {devis.numero} de {devis.emetteur.nom} pour "
            f"{devis.collectivite.nom} attend votre réponse ; il est valable "
            f"jusqu'au {validite}.\n\nVous pouvez le consulter et donner votre bon "
            f"pour accord sur le portail : {lien_portail(devis)}",
            destinataires(devis),
        )
    ]


def _courriels_convention(convention: Convention) -> list[EmailMessage]:
    fin = format_date(convention.date_fin)
    lien = _adresse(reverse("gestion:convention", kwargs={"pk": convention.pk}))
    return [
        _courriel(
            f"Convention de {convention.collectivite.nom} : fin le {fin}",
            f"La convention tripartite de {convention.collectivite.nom} arrive à sa "
            f"date de fin le {fin}. Préparez son renouvellement ou sa fin avec la "
            f"collectivité.\n\nLa convention : {lien}",
            destinataires_cdg(),
        )
    ]


def _courriels_cle(cle: CleSignature) -> list[EmailMessage]:
    collectivite = cle.collectivite
    expire = format_date(cle.expire_le)
    quoi = (
        f"La clé de signature de {cle.titulaire_nom} ({cle.titulaire_fonction}) "
        f"pour {collectivite.nom} expire le {expire}."
    )
    portail = _adresse(reverse("portail:collectivite", kwargs={"cid": collectivite.pk}))
    fiche = _adresse(reverse("gestion:collectivite", kwargs={"pk": collectivite.pk}))
    return [
        _courriel(
            f"Votre clé de signature expire le {expire}",
            f"{quoi} Pour continuer à signer électroniquement, une nouvelle clé "
            "doit être commandée : le CDG vous adressera un devis, que vous pourrez "
            f"accepter sur le portail : {portail}",
            destinataires_collectivite(collectivite.pk, collectivite.liste_emails),
        ),
        _courriel(
            f"Clé de signature de {collectivite.nom} : expiration le {expire}",
            f"{quoi} « Préparer le renouvellement » sur la fiche de la collectivité "
            f"fait le brouillon du devis : {fiche}",
            destinataires_cdg(),
        ),
    ]


def envoyer(relance_id: int) -> Relance:
    """Envoie une relance (tâche de fond) ; l'issue est écrite sur la relance et,
    pour un devis, à son historique."""
    with transaction.atomic():
        relance = (
            Relance.objects.select_for_update(of=("self",))
            .select_related(
                "devis__collectivite",
                "devis__emetteur",
                "convention__collectivite",
                "cle__collectivite",
            )
            .get(pk=relance_id)
        )
        if relance.statut == Relance.Statut.ENVOYEE:
            return relance  # déjà partie : jamais deux fois
        if not Relance.objects.filter(ENCORE_DUES, pk=relance.pk).exists():
            return relance  # l'objet a changé d'état : plus rien à rappeler
        if relance.devis_id:
            courriels = _courriels_devis(relance.devis)
        elif relance.convention_id:
            courriels = _courriels_convention(relance.convention)
        else:
            courriels = _courriels_cle(relance.cle)
        courriels = [c for c in courriels if c.to]
        adresses = sorted({a for c in courriels for a in c.to})
        relance.tentatives += 1
        relance.destinataires = ", ".join(adresses)
        if not adresses:
            relance.statut = Relance.Statut.ECHEC
            relance.erreur = (
                "Aucune adresse : renseignez le contact de la collectivité "
                "ou un agent actif du CDG."
            )
            relance.save()
            return relance
        try:
            for courriel in courriels:
                courriel.send()
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
        if relance.devis_id:
            devis = relance.devis
            EvenementDevis.objects.create(
                devis=devis,
                statut=devis.statut,
                commentaire=f"Relance envoyée à {relance.destinataires} (fin de "
                f"validité le {format_date(devis.date_validite)}).",
            )
    return relance
