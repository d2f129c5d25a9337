"""Filtres des listes du back office (django-filter)."""

from __future__ import annotations

import re

import django_filters
from django import forms
from django.db.models import Exists, OuterRef, Q

from conventions.categories import filtrer_par_categorie
from conventions.models import ARRONDISSEMENTS, Collectivite, Convention
from conventions.selectors import q_nom_cherche
from tarifs import calcul

SANS_CONVENTION = "aucune"
# En vigueur ou en préparation : ce qui compte pour savoir si une collectivité
# est couverte par une convention.
_ACTIVES = [
    Convention.Statut.BROUILLON,
    Convention.Statut.EN_SIGNATURE,
    Convention.Statut.SIGNEE,
]


class CollectiviteFilter(django_filters.FilterSet):
    """Recherche (nom, code INSEE, SIREN, SIRET), type, catégorie, état de convention.

    La catégorie n'est pas stockée : elle se filtre par les seuils de la grille
    en vigueur, passée au constructeur (``grille``).
    """

    q = django_filters.CharFilter(
        method="chercher",
        label="Recherche",
        help_text="Nom, code INSEE, SIREN ou SIRET",
    )
    type = django_filters.ChoiceFilter(
        choices=Collectivite.Type.choices, label="Type", empty_label="Tous les types"
    )
    categorie = django_filters.ChoiceFilter(
        method="filtrer_categorie", label="Catégorie", empty_label="Toutes"
    )
    # Un champ de recherche plutôt qu'un menu : 1 254 EPCI en France (20 dans
    # le Pas-de-Calais) ne se rendent pas en <select> à chaque affichage de la
    # liste ; la page d'un EPCI y renvoie par son identifiant.
    epci = django_filters.CharFilter(
        label="EPCI",
        method="filtrer_epci",
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": "Nom de l'EPCI"}
        ),
    )
    arrondissement = django_filters.ChoiceFilter(
        label="Arrondissement",
        empty_label="Tous",
        choices=[(code, f"{nom} ({code})") for code, nom in ARRONDISSEMENTS.items()],
    )
    convention = django_filters.ChoiceFilter(
        method="filtrer_convention",
        label="Convention",
        empty_label="Toutes situations",
        choices=[(SANS_CONVENTION, "Ni en vigueur ni en préparation")]
        + [(s.value, f"Une convention « {s.label} »") for s in Convention.Statut],
    )

    class Meta:
        model = Collectivite
        fields = ["q", "type", "epci", "arrondissement", "categorie", "convention"]

    def __init__(self, *args, grille: calcul.Grille | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.grille = grille
        codes = grille.codes_categories if grille else ()
        self.filters["categorie"].extra["choices"] = [(c, c) for c in codes]

    def chercher(self, queryset, name, value):
        texte = value.strip()
        if not texte:
            return queryset
        condition = q_nom_cherche(texte) or Q(pk__in=[])
        compact = re.sub(r"[\s.]", "", texte).upper()
        if compact.isascii() and compact.isalnum():
            condition |= (
                Q(code_insee__iexact=compact)
                | Q(siren__startswith=compact)
                | Q(siret__startswith=compact)
            )
        return queryset.filter(condition)

    def filtrer_epci(self, queryset, name, value):
        """Un identifiant (lien depuis la page d'un EPCI) ou un nom."""
        value = value.strip()
        if not value:
            return queryset
        if value.isascii() and value.isdigit() and len(value) < 19:
            return queryset.filter(epci_id=int(value))
        condition = q_nom_cherche(value, chemin="epci__")
        return queryset.none() if condition is None else queryset.filter(condition)

    def filtrer_categorie(self, queryset, name, value):
        if not value or self.grille is None:
            return queryset
        return filtrer_par_categorie(queryset, value, self.grille)

    def filtrer_convention(self, queryset, name, value):
        if not value:
            return queryset
        conventions = Convention.objects.filter(collectivite=OuterRef("pk"))
        if value == SANS_CONVENTION:
            return queryset.exclude(Exists(conventions.filter(statut__in=_ACTIVES)))
        return queryset.filter(Exists(conventions.filter(statut=value)))


class ConventionFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="chercher", label="Collectivité")
    statut = django_filters.ChoiceFilter(
        choices=Convention.Statut.choices, label="État", empty_label="Tous les états"
    )

    class Meta:
        model = Convention
        fields = ["q", "statut"]

    def chercher(self, queryset, name, value):
        condition = q_nom_cherche(value, chemin="collectivite__")
        return queryset if condition is None else queryset.filter(condition)
