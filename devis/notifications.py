"""Courriels des devis : aux agents du CDG après un geste d'une collectivité sur
le portail.

Règle : chaque bon pour accord, refus ou nouvelle demande saisi sur le portail
est signalé à tous les agents actifs du CDG (rôle *agent*). Le courriel part
après l'enregistrement : un serveur de messagerie en panne n'annule jamais le
geste de la collectivité, l'échec est seulement journalisé.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from django.conf import settings
from django.core.mail import EmailMessage
from django.utils import timezone

from comptes.models import Utilisateur
from conventions.formats import format_date, format_euros
from tarifs.selectors import AucuneGrilleEnVigueur, instantane_en_vigueur

journal = logging.getLogger(__name__)


def destinataires_cdg() -> list[str]:
    """Les adresses de tous les agents actifs du CDG."""
    return list(
        Utilisateur.objects.filter(is_active=True, role=Utilisateur.Role.AGENT)
        .order_by("email")
        .values_list("email", flat=True)
    )


def _horodatage(moment: datetime | None) -> str:
    moment = timezone.localtime(moment or timezone.now())
    return f"{format_date(moment.date())} à {moment:%H h %M}"


def _envoyer(sujet: str, corps: str) -> int:
    """Envoie un courriel aux agents ; renvoie le nombre de messages partis."""
    destinataires = destinataires_cdg()
    if not destinataires:
        journal.warning("Aucun agent du CDG à prévenir : %s", sujet)
        return 0
    message = EmailMessage(
        subject=sujet,
        body=corps,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=destinataires,
    )
    try:
        return message.send()
    except Exception:  # le geste est enregistré : on ne le défait pas
        journal.exception("Courriel aux agents du CDG non envoyé : %s", sujet)
        return 0


def _ligne_devis(devis) -> str:
    return (
        f"- {devis.numero} ({devis.emetteur.nom}) : "
        f"{format_euros(devis.total_premiere_annee)} TTC la première année"
    )


def _saisi_par(utilisateur) -> str:
    return f"{utilisateur.get_full_name() or utilisateur.email} <{utilisateur.email}>"


def notifier_acceptation(devis: Sequence) -> int:
    """Prévient les agents du CDG d'un bon pour accord donné sur le portail
    (un ou plusieurs devis de la même collectivité, acceptés ensemble)."""
    premier = devis[0]
    collectivite = premier.collectivite
    numeros = ", ".join(d.numero for d in devis)
    sujet = f"Bon pour accord de {collectivite.nom} : {numeros}"
    corps = "\n".join(
        [
            f"{collectivite.nom} a donné son bon pour accord sur le portail.",
            "",
            "Devis acceptés :",
            *(_ligne_devis(d) for d in devis),
            "",
            f"Signataire : {premier.signataire_nom}, {premier.signataire_qualite}",
            f"Saisi par : {_saisi_par(premier.reponse_par)}",
            f"Le : {_horodatage(premier.accepte_le)}",
        ]
    )
    return _envoyer(sujet, corps)


def notifier_refus(devis) -> int:
    """Prévient les agents du CDG d'un devis refusé sur le portail."""
    collectivite = devis.collectivite
    sujet = f"Devis refusé par {collectivite.nom} : {devis.numero}"
    corps = "\n".join(
        [
            f"{collectivite.nom} a refusé un devis sur le portail.",
            "",
            _ligne_devis(devis),
            "",
            f"Motif : {devis.refus_motif}",
            f"Saisi par : {_saisi_par(devis.reponse_par)}",
            f"Le : {_horodatage(devis.refuse_le)}",
        ]
    )
    return _envoyer(sujet, corps)


def notifier_demande(*, demande) -> int:
    """Prévient les agents du CDG d'une demande de devis à chiffrer."""
    try:
        grille = instantane_en_vigueur()
    except AucuneGrilleEnVigueur:
        libelles = {}
    else:
        libelles = {code: p.libelle for code, p in grille.prestations.items()}
    par = demande.demandee_par
    lignes = [
        f"- {libelles.get(ligne['code'], ligne['code'])} × {ligne['quantite']}"
        + (" (avec l'intervention du CDG)" if ligne.get("intervention") else "")
        for ligne in demande.lignes_demandees
    ]
    sujet = f"Demande de devis de {demande.collectivite.nom}"
    corps = "\n".join(
        [
            f"{demande.collectivite.nom} demande un devis sur le portail "
            f"(demande n°{demande.pk}).",
            "",
            "Prestations demandées :",
            *lignes,
            "",
            f"Commentaire : {demande.commentaire or '—'}",
            f"Envoyée par : {par.email if par else '—'}",
            f"Le : {_horodatage(demande.creee_le)}",
            "",
            "Elle attend d'être chiffrée dans le tableau de bord du CDG.",
        ]
    )
    return _envoyer(sujet, corps)


def courriel_du_devis(devis, contenu: bytes, destinataires: list[str]) -> EmailMessage:
    """Le courriel qui porte un devis émis à la collectivité, PDF stocké joint."""
    emetteur = devis.emetteur_fige
    collectivite = devis.collectivite
    message = EmailMessage(
        subject=f"Devis {devis.numero} — {emetteur.get('nom', '')}",
        body=(
            "Madame, Monsieur,\n\n"
            f"Veuillez trouver ci-joint le devis {devis.numero} établi par "
            f"{emetteur.get('nom', '')} pour {collectivite.nom}, daté du "
            f"{format_date(devis.date_emission)} et valable jusqu'au "
            f"{format_date(devis.date_validite)}.\n\n"
            "Pour l'accepter, retournez-le daté et signé, avec la mention "
            "« Bon pour accord », le nom et la qualité du signataire.\n\n"
            "Cordialement,\n"
            f"{emetteur.get('nom', '')}\n"
        ),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=destinataires,
        reply_to=[emetteur["email"]] if emetteur.get("email") else None,
    )
    message.attach(f"{devis.numero}.pdf", contenu, "application/pdf")
    return message


def envoyer_devis(envoi_id: int) -> str:
    """Envoie un devis demandé par un agent (tâche de fond) ; l'issue est écrite
    sur l'envoi et, une fois parti, à l'historique du devis. Jamais deux fois."""
    from django.db import transaction

    from devis import pdf as devis_pdf
    from devis.models import EnvoiDevis, EvenementDevis

    with transaction.atomic():
        envoi = (
            EnvoiDevis.objects.select_for_update(of=("self",))
            .select_related("devis__collectivite", "devis__emetteur", "envoye_par")
            .get(pk=envoi_id)
        )
        if envoi.statut == EnvoiDevis.Statut.ENVOYE:
            return envoi.statut
        devis = envoi.devis
        envoi.tentatives += 1
        try:
            contenu = devis_pdf.devis_pdf_stocke(devis)
            courriel_du_devis(devis, contenu, envoi.liste_destinataires).send(
                fail_silently=False
            )
        except Exception as erreur:  # visible sur l'envoi, retenté chaque jour
            journal.exception("Devis %s non envoyé (envoi %s)", devis, envoi.pk)
            envoi.statut = EnvoiDevis.Statut.ECHEC
            envoi.erreur = str(erreur)[:500] or erreur.__class__.__name__
            envoi.save(update_fields=["statut", "erreur", "tentatives"])
            return envoi.statut
        envoi.statut = EnvoiDevis.Statut.ENVOYE
        envoi.parti_le = timezone.now()
        envoi.erreur = ""
        envoi.save(update_fields=["statut", "parti_le", "erreur", "tentatives"])
        EvenementDevis.objects.create(
            devis=devis,
            statut=devis.statut,
            commentaire=f"Envoyé par courriel à {envoi.destinataires}.",
            par=envoi.envoye_par,
        )
    return envoi.statut
