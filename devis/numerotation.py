"""Numérotation des devis : ``PREFIXE-AAAA-NNNN``, par émetteur et par année, sans trou.

Le numéro n'est attribué qu'à l'émission, en trois temps (``devis.services.
devis_emettre``) :

1. :func:`reserver` prend le numéro dans une courte transaction : le compteur
   (une ligne ``CompteurDevis`` par émetteur et par année) n'est verrouillé que
   le temps de l'incrémenter, pas pendant le rendu du PDF ; deux émissions du
   même émetteur rendent leurs PDF en même temps.
2. le PDF est rendu avec ce numéro, hors de tout verrou ;
3. :func:`consommer` efface la réservation dans la transaction qui enregistre
   le devis émis.

Si l'émission échoue, :func:`liberer` rend le numéro : s'il était le dernier,
le compteur recule ; sinon (une autre émission a pris le suivant entre-temps)
il est marqué « rendu » et la prochaine émission du même émetteur et de la
même année le reprend avant d'en prendre un neuf. Une réservation abandonnée
(processus tué en plein rendu) est reprise de même après
:data:`DELAI_ABANDON`. La contrainte unique sur ``Devis.numero`` sert de filet.

Appelée dans une transaction englobante (un test, une campagne qui émet dans
la sienne), la réservation en fait partie : un rollback l'annule avec le reste.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from conventions.models import Organisme
from devis.models import CompteurDevis, NumeroReserve

CHIFFRES = 4
DELAI_ABANDON = timedelta(minutes=15)


def format_numero(*, prefixe: str, annee: int, sequence: int) -> str:
    """« CDG62-2024-0007 » : préfixe de l'émetteur, année d'émission, 4 chiffres."""
    return f"{prefixe}-{annee}-{sequence:0{CHIFFRES}d}"


def numero_de(reservation: NumeroReserve) -> str:
    return format_numero(
        prefixe=reservation.emetteur.prefixe_numero,
        annee=reservation.annee,
        sequence=reservation.sequence,
    )


def reserver(*, emetteur: Organisme, annee: int) -> NumeroReserve:
    """Réserve pour ``emetteur`` et ``annee`` le plus petit numéro rendu (ou
    abandonné), sinon le suivant du compteur. Une nouvelle année repart à 1."""
    maintenant = timezone.now()
    with transaction.atomic():
        compteur, _ = CompteurDevis.objects.select_for_update().get_or_create(
            emetteur=emetteur, annee=annee
        )
        reprise = (
            NumeroReserve.objects.filter(emetteur=emetteur, annee=annee)
            .filter(Q(libere=True) | Q(reserve_le__lt=maintenant - DELAI_ABANDON))
            .order_by("sequence")
            .first()
        )
        if reprise is not None:
            reprise.jeton = uuid.uuid4()
            reprise.libere = False
            reprise.reserve_le = maintenant
            reprise.save(update_fields=["jeton", "libere", "reserve_le"])
            reprise.emetteur = emetteur
            return reprise
        compteur.dernier += 1
        compteur.save(update_fields=["dernier"])
        return NumeroReserve.objects.create(
            emetteur=emetteur,
            annee=annee,
            sequence=compteur.dernier,
            jeton=uuid.uuid4(),
            reserve_le=maintenant,
        )


def consommer(reservation: NumeroReserve) -> bool:
    """Dans la transaction qui enregistre le devis émis : efface la réservation
    et dit si elle était encore la nôtre (pas reprise comme abandonnée)."""
    effaces, _ = NumeroReserve.objects.filter(
        pk=reservation.pk, jeton=reservation.jeton
    ).delete()
    return effaces == 1


def liberer(reservation: NumeroReserve) -> None:
    """Rend le numéro d'une émission en échec (voir le module)."""
    with transaction.atomic():
        compteur = CompteurDevis.objects.select_for_update().get(
            emetteur_id=reservation.emetteur_id, annee=reservation.annee
        )
        a_moi = NumeroReserve.objects.filter(pk=reservation.pk, jeton=reservation.jeton)
        if compteur.dernier == reservation.sequence and a_moi.delete()[0]:
            compteur.dernier -= 1
            # Les numéros rendus juste en dessous reculent avec lui.
            while NumeroReserve.objects.filter(
                emetteur_id=reservation.emetteur_id,
                annee=reservation.annee,
                sequence=compteur.dernier,
                libere=True,
            ).delete()[0]:
                compteur.dernier -= 1
            compteur.save(update_fields=["dernier"])
            return
        a_moi.update(libere=True)
