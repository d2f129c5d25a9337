"""Filtres de la liste des devis (``/gestion/devis/``)."""

from __future__ import annotations

import django_filters
from django import forms
from django.utils import timezone

from conventions.models import Collectivite
from devis.models import Devis
from devis.selectors import q_en_attente, q_perimes
from tarifs.models import Emetteur


class DevisFilter(django_filters.FilterSet):
    """Émetteur, statut (« expiré » calculé comme à l'affichage), année,
    collectivité, et recherche par numéro."""

    q = django_filters.CharFilter(
        label="Numéro",
        method="filtrer_numero",
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": "Ex. CDG62-2024-0007"}
        ),
    )
    emetteur = django_filters.ChoiceFilter(
        label="Émetteur",
        field_name="emetteur__emetteur",
        choices=Emetteur.choices,
        empty_label="Tous",
    )
    statut = django_filters.ChoiceFilter(
        label="Statut",
        choices=Devis.Statut.choices,
        method="filtrer_statut",
        empty_label="Tous",
    )
    annee = django_filters.NumberFilter(
        label="Année",
        field_name="annee_affichee",
        widget=forms.TextInput(attrs={"inputmode": "numeric", "size": 4}),
    )
    collectivite = django_filters.ModelChoiceFilter(
        label="Collectivité",
        queryset=Collectivite.objects.order_by("nom"),
        empty_label="Toutes",
    )

    class Meta:
        model = Devis
        fields: list[str] = []

    def filtrer_numero(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(numero__icontains=value) if value else queryset

    def filtrer_statut(self, queryset, name, value):
        aujourdhui = timezone.localdate()
        if value == Devis.Statut.EXPIRE:
            return queryset.filter(q_perimes(aujourdhui))
        if value == Devis.Statut.EMIS:
            return queryset.filter(q_en_attente(aujourdhui))
        return queryset.filter(statut=value)
