"""Formulaires de la facturation : la période et l'émetteur de l'état des
sommes à facturer."""

from __future__ import annotations

import datetime

from django import forms
from django.utils import timezone

from tarifs.enums import Emetteur

ANNEE_MIN, ANNEE_MAX = 2000, 2100


class DateFrancaise(forms.DateField):
    """Une date tapée en JJ/MM/AAAA (ou AAAA-MM-JJ) dans un champ texte : une
    saisie refusée se réaffiche telle quelle avec son message."""

    widget = forms.DateInput(
        format="%d/%m/%Y",
        attrs={"placeholder": "JJ/MM/AAAA", "inputmode": "numeric", "size": 10},
    )
    input_formats = ["%d/%m/%Y", "%Y-%m-%d"]
    default_error_messages = {
        "invalid": "Saisissez une date au format JJ/MM/AAAA (par exemple 31/01/2025).",
        "required": "Indiquez la date.",
    }

    def validate(self, value):
        super().validate(value)
        if value and not ANNEE_MIN <= value.year <= ANNEE_MAX:
            raise forms.ValidationError(
                f"Saisissez une année entre {ANNEE_MIN} et {ANNEE_MAX}.",
                code="annee",
            )


class EtatForm(forms.Form):
    """L'émetteur et la période (dates d'acceptation, bornes comprises)."""

    emetteur = forms.ChoiceField(
        label="Émetteur",
        choices=Emetteur.choices,
        error_messages={
            "required": "Choisissez l'émetteur.",
            "invalid_choice": "Choisissez l'émetteur : La Fibre Numérique 59-62 "
            "ou CDG 62.",
        },
    )
    du = DateFrancaise(
        label="Du",
        error_messages={"required": "Indiquez le premier jour de la période."},
    )
    au = DateFrancaise(
        label="Au",
        error_messages={"required": "Indiquez le dernier jour de la période."},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        aujourdhui = timezone.localdate()
        self.fields["emetteur"].initial = Emetteur.FIBRE
        self.fields["du"].initial = datetime.date(aujourdhui.year, 1, 1)
        self.fields["au"].initial = aujourdhui

    def clean(self):
        donnees = super().clean()
        du, au = donnees.get("du"), donnees.get("au")
        if du and au and du > au:
            self.add_error(
                "au",
                f"La fin de la période ({au:%d/%m/%Y}) précède son début "
                f"({du:%d/%m/%Y}).",
            )
        return donnees
