"""Numérotation des factures : ``PREFIXE-FA-AAAA-NNNN``, par émetteur et par année,
sans trou.

Règle : le numéro est pris dans **la transaction qui émet la facture**
(``facturation.services.facture_emettre``). Le compteur (une ligne
``CompteurFacture`` par émetteur et par année) y est verrouillé
(``select_for_update``) jusqu'à la fin : si le rendu du PDF, l'écriture du
fichier ou l'enregistrement échoue, la transaction est annulée et l'incrément
avec elle — le numéro suivant reste le même, aucun trou ne se forme. Deux
émissions du même émetteur s'attendent le temps d'un rendu : une facture
s'établit une à une, par un agent, ce prix est sans importance (les devis, émis
en campagne, ont leur réservation en trois temps : ``devis.numerotation``).

La contrainte unique sur ``Facture.numero`` (et sur émetteur, année et numéro
d'ordre) sert de filet. Une nouvelle année repart à 1.
"""

from __future__ import annotations

from django.db import transaction

from conventions.models import Organisme
from facturation.models import CompteurFacture

CHIFFRES = 4


def format_numero(*, prefixe: str, annee: int, sequence: int) -> str:
    """« CDG62-FA-2026-0007 » : préfixe de l'émetteur, « FA » (facture), année
    d'émission, 4 chiffres."""
    return f"{prefixe}-FA-{annee}-{sequence:0{CHIFFRES}d}"


def prendre_numero(*, emetteur: Organisme, annee: int) -> int:
    """Incrémente le compteur de ``emetteur`` pour ``annee`` et renvoie le
    numéro d'ordre pris. Doit être appelée dans la transaction d'émission : le
    verrou et l'incrément suivent son sort."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError(
            "La numérotation des factures se fait dans la transaction d'émission."
        )
    compteur, _ = CompteurFacture.objects.select_for_update().get_or_create(
        emetteur=emetteur, annee=annee
    )
    compteur.dernier += 1
    compteur.save(update_fields=["dernier"])
    return compteur.dernier
