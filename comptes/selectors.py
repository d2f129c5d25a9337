"""Lectures sur les comptes : le journal des modifications des comptes (rôle,
adresse, identité, état actif), jamais le mot de passe, qui n'est pas copié
dans l'historique."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import QuerySet

from comptes.models import Utilisateur
from config.historique import journal

CHAMPS_JOURNAL_COMPTE = (
    "email",
    "first_name",
    "last_name",
    "role",
    "is_active",
    "is_staff",
    "is_superuser",
)


def journal_des_comptes(identifiants: Iterable[int] | QuerySet) -> list[dict]:
    """Qui a créé ou changé ces comptes, quand : une requête (``identifiants``
    peut être une sous-requête), la ligne la plus récente d'abord, chacune
    nommée par l'adresse du compte à ce moment-là.

    Une modification sans changement lisible (un nouveau mot de passe, qui
    n'est pas copié) n'y figure pas ; l'administration la garde.
    """
    historiques = (
        Utilisateur.history.filter(id__in=identifiants)
        .select_related("history_user")
        .order_by("history_date", "history_id")
    )
    lignes = journal(
        historiques,
        CHAMPS_JOURNAL_COMPTE,
        Utilisateur,
        objet=lambda enregistrement: f"Compte {enregistrement.email}",
    )
    return [ligne for ligne in lignes if ligne["type"] != "~" or ligne["changements"]]
