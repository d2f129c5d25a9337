"""Le formulaire de lancement d'un export d'archives."""

from __future__ import annotations

import datetime

from django import forms
from django.utils import timezone

from conventions.forms import ChampDate

ANNEE_MIN, ANNEE_MAX = 2000, 2100


def _dans_les_bornes(jour: datetime.date | None) -> datetime.date | None:
    if jour is not None and not ANNEE_MIN <= jour.year <= ANNEE_MAX:
        raise forms.ValidationError(
            f"Choisissez une date entre {ANNEE_MIN} et {ANNEE_MAX}."
        )
    return jour


class ExportArchiveForm(forms.Form):
    du = ChampDate(
        label="Du",
        help_text="Devis émis et conventions signées à partir de cette date.",
        error_messages={"required": "Indiquez la date de début de la période."},
    )
    au = ChampDate(
        label="Au",
        help_text="Jusqu'à cette date incluse.",
        error_messages={"required": "Indiquez la date de fin de la période."},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        aujourdhui = timezone.localdate()
        self.fields["du"].initial = aujourdhui.replace(month=1, day=1)
        self.fields["au"].initial = aujourdhui

    def clean_du(self):
        return _dans_les_bornes(self.cleaned_data.get("du"))

    def clean_au(self):
        return _dans_les_bornes(self.cleaned_data.get("au"))

    def clean(self):
        donnees = super().clean()
        du, au = donnees.get("du"), donnees.get("au")
        if du and au and du > au:
            self.add_error(
                "au", "La date de fin doit être égale ou postérieure à celle du début."
            )
        return donnees
