"""Filtres de la liste des devis (``/gestion/devis/``)."""

from __future__ import annotations

import django_filters
from django import forms
from django.utils import timezone

from conventions.selectors import q_nom_cherche
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
        field_name="emetteur__code",
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
    # Un champ de recherche plutôt qu'une liste : 900 collectivités et plus ne
    # tiennent pas dans un menu déroulant (ni dans le temps de rendu de la page).
    collectivite = django_filters.CharFilter(
        label="Collectivité",
        method="filtrer_collectivite",
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": "Nom de la collectivité"}
        ),
    )

    class Meta:
        model = Devis
        fields: list[str] = []

    def filtrer_numero(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(numero__icontains=value) if value else queryset

    def filtrer_collectivite(self, queryset, name, value):
        """Un identifiant (lien depuis la page d'une collectivité) ou un nom."""
        value = value.strip()
        if not value:
            return queryset
        if value.isascii() and value.isdigit() and len(value) < 19:
            return queryset.filter(collectivite_id=int(value))
        condition = q_nom_cherche(value, chemin="collectivite__")
        return queryset.none() if condition is None else queryset.filter(condition)

    def filtrer_statut(self, queryset, name, value):
        aujourdhui = timezone.localdate()
        if value == Devis.Statut.EXPIRE:
            return queryset.filter(q_perimes(aujourdhui))
        if value == Devis.Statut.EMIS:
            return queryset.filter(q_en_attente(aujourdhui))
        return queryset.filter(statut=value)
