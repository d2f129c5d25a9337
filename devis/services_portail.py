"""Écritures du portail des collectivités sur les demandes de devis.

Une collectivité ne fixe aucun prix : elle dit ce qu'elle veut, un agent du
CDG chiffre ensuite la demande (état *demandée*) et émet les devis.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.db import transaction

from conventions.models import Collectivite, Utilisateur
from devis.models import DemandeDevis
from tarifs import calcul


@transaction.atomic
def demande_creer_depuis_portail(
    *,
    collectivite: Collectivite,
    lignes: Sequence[calcul.LigneDemandee],
    commentaire: str,
    par: Utilisateur,
) -> DemandeDevis:
    """Enregistre la demande d'une collectivité, à chiffrer par le CDG.

    Les lignes ont été validées par le moteur de chiffrage (codes connus,
    quantités entières ≥ 1) ; seuls les codes, quantités et l'option
    « intervention » sont conservés, jamais un prix.
    """
    if not lignes:
        raise ValidationError("Indiquez au moins une prestation.")
    return DemandeDevis.objects.create(
        collectivite=collectivite,
        statut=DemandeDevis.Statut.DEMANDEE,
        lignes_demandees=[
            {
                "code": ligne.code,
                "quantite": ligne.quantite,
                "intervention": bool(ligne.intervention),
            }
            for ligne in lignes
        ],
        commentaire=commentaire.strip(),
        demandee_par=par,
    )
