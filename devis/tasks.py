"""Les tâches de fond des devis : les courriels partent de la file (API Tasks
de Django, ``TASKS``), jamais pendant la requête ; un serveur de messagerie lent
ou en panne ne retient aucune page."""

from __future__ import annotations

from django_tasks import task


@task()
def envoyer_devis(envoi_id: int) -> str:
    """Le courriel d'un devis à la collectivité, PDF stocké joint."""
    from devis import notifications

    return notifications.envoyer_devis(envoi_id)


@task()
def notifier_agents(quoi: str, ids: list[int]) -> int:
    """Un geste d'une collectivité sur le portail, signalé aux agents du CDG :
    ``acceptation`` (devis), ``refus`` (un devis) ou ``demande``."""
    from devis import notifications
    from devis.models import DemandeDevis, Devis

    if quoi == "demande":
        demande = DemandeDevis.objects.get(pk=ids[0])
        return notifications.notifier_demande(demande=demande)
    devis = list(
        Devis.objects.filter(pk__in=ids)
        .select_related("collectivite", "emetteur", "reponse_par")
        .order_by("pk")
    )
    if quoi == "acceptation":
        return notifications.notifier_acceptation(devis)
    return notifications.notifier_refus(devis[0])
