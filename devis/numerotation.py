"""Numérotation des devis : ``PREFIXE-AAAA-NNNN``, par émetteur et par année, sans trou.

Le numéro n'est attribué qu'à l'émission, dans la transaction qui émet le
devis. Le compteur (une ligne ``CompteurDevis`` par émetteur et par année) est
verrouillé par ``select_for_update`` jusqu'à la fin de cette transaction : deux
émissions simultanées du même émetteur se suivent, et si l'émission échoue
(rendu du PDF, par exemple) le rollback rend le numéro au devis suivant. La
contrainte unique sur ``Devis.numero`` sert de filet de sécurité.

Sous SQLite, ``select_for_update`` est sans effet mais les transactions
d'écriture sont sérialisées (``transaction_mode: IMMEDIATE``) : même garantie.
"""

from __future__ import annotations

from django.db import transaction
from django.db.transaction import TransactionManagementError

from conventions.models import Organisme
from devis.models import CompteurDevis

CHIFFRES = 4


def format_numero(*, prefixe: str, annee: int, sequence: int) -> str:
    """« CDG62-2024-0007 » : préfixe de l'émetteur, année d'émission, 4 chiffres."""
    return f"{prefixe}-{annee}-{sequence:0{CHIFFRES}d}"


def numero_suivant(*, emetteur: Organisme, annee: int) -> tuple[int, str]:
    """Réserve le numéro suivant de ``emetteur`` pour ``annee``.

    À appeler dans la transaction qui enregistre le devis émis : le compteur
    reste verrouillé jusqu'à sa fin, et un rollback annule la réservation.
    Une nouvelle année repart à 1 (nouvelle ligne de compteur).
    """
    if not transaction.get_connection().in_atomic_block:
        raise TransactionManagementError(
            "numero_suivant doit être appelé dans la transaction d'émission."
        )
    compteur, _ = CompteurDevis.objects.select_for_update().get_or_create(
        emetteur=emetteur, annee=annee
    )
    compteur.dernier += 1
    compteur.save(update_fields=["dernier"])
    numero = format_numero(
        prefixe=emetteur.prefixe_numero, annee=annee, sequence=compteur.dernier
    )
    return compteur.dernier, numero
