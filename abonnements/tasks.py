"""Les tâches de fond des abonnements (API Tasks de Django : ``django-tasks``,
file en base par ``django-tasks-db`` ; le moteur est un réglage, ``TASKS``)."""

from __future__ import annotations

from django_tasks import task

from abonnements import services


@task()
def renouveler(campagne_id: int, partie: int = 0, parties: int = 1) -> dict:
    """Déroule une part d'une campagne de renouvellement annuel (reprend où elle
    en était)."""
    campagne = services.renouvellement_executer(campagne_id, partie, parties)
    return {
        "statut": campagne.statut,
        "faites": campagne.faites,
        "total": campagne.total,
    }


@task()
def envoyer_relance(relance_id: int) -> str:
    """Envoie une relance ; l'issue (envoyée, en échec) est écrite sur elle."""
    from abonnements import relances

    return relances.envoyer(relance_id).statut
