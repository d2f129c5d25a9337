"""Formulaires des abonnements : campagne de renouvellement, début, résiliation."""

from __future__ import annotations

from django import forms
from django.utils import timezone

from conventions.forms import ChampDate, valider_ligne, valider_texte


class RenouvellementForm(forms.Form):
    annee = forms.IntegerField(
        label="Année",
        min_value=2000,
        max_value=2100,
        error_messages={
            "required": "Indiquez l'année à renouveler.",
            "invalid": "Saisissez une année (quatre chiffres).",
            "min_value": "Saisissez une année à partir de 2000.",
            "max_value": "Saisissez une année jusqu'à 2100.",
        },
    )
    date_renouvellement = ChampDate(
        label="Date du renouvellement",
        required=False,
        help_text="Par défaut le 1er janvier de l'année ; les devis sont chiffrés "
        "sur la grille en vigueur à cette date.",
    )
    emettre = forms.BooleanField(
        label="Émettre les devis (sinon : brouillons à relire)", required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["annee"].initial = timezone.localdate().year + 1


class DebutForm(forms.Form):
    debut = ChampDate(label="Début du service")


class ResiliationAbonnementForm(forms.Form):
    fin = ChampDate(label="Fin")
    motif = forms.CharField(
        label="Motif",
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
        validators=[valider_texte],
        error_messages={"required": "Le motif de la résiliation est obligatoire."},
    )


class RemiseCleForm(forms.Form):
    titulaire_nom = forms.CharField(
        label="Titulaire", max_length=200, validators=[valider_ligne]
    )
    titulaire_fonction = forms.CharField(
        label="Fonction", max_length=200, validators=[valider_ligne]
    )
    remise_le = ChampDate(label="Remise le")


class NouveauSignataireForm(forms.Form):
    nom = forms.CharField(
        label="Nouveau signataire (maire, président)",
        max_length=200,
        validators=[valider_ligne],
    )
