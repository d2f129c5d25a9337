"""Formulaires du portail des collectivités sur les devis.

Le bon pour accord reprend le formulaire d'acceptation du back office (nom et
qualité du signataire) et y ajoute l'engagement exigé d'un signataire en
ligne : « J'ai qualité pour engager la collectivité ».
"""

from __future__ import annotations

from django import forms

from devis.forms import AcceptationForm, RefusForm

MESSAGE_ENGAGEMENT = (
    "Cochez « J'ai qualité pour engager la collectivité » pour donner le bon "
    "pour accord."
)


class AccordPortailForm(AcceptationForm):
    """Bon pour accord donné en ligne par un membre *signataire*."""

    engagement = forms.BooleanField(
        label="J'ai qualité pour engager la collectivité",
        required=True,
        error_messages={"required": MESSAGE_ENGAGEMENT},
    )


class RefusPortailForm(RefusForm):
    """Refus d'un devis : le motif est obligatoire."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        motif = self.fields["motif"]
        motif.label = "Motif du refus"
        motif.error_messages["required"] = "Indiquez le motif du refus."
