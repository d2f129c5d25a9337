"""Filtres des listes du back office des abonnements et des clés de signature
(``/gestion/abonnements/liste/`` et ``/gestion/abonnements/cles/``)."""

from __future__ import annotations

import re

import django_filters
from django import forms
from django.db.models import Q

from abonnements.models import Abonnement, CleSignature
from conventions.selectors import q_nom_cherche
from tarifs.enums import Emetteur


def filtrer_collectivite(queryset, name, value):
    """Le nom de la collectivité (comme on le tape), son code INSEE ou le début
    de son SIREN / SIRET."""
    texte = (value or "").strip()
    if not texte:
        return queryset
    condition = q_nom_cherche(texte, chemin="collectivite__") or Q(pk__in=[])
    compact = re.sub(r"[\s.]", "", texte).upper()
    if compact.isascii() and compact.isalnum():
        condition |= (
            Q(collectivite__code_insee__iexact=compact)
            | Q(collectivite__siren__startswith=compact)
            | Q(collectivite__siret__startswith=compact)
        )
    return queryset.filter(condition)


def _champ_collectivite():
    # Un champ de recherche plutôt qu'une liste : 900 collectivités et plus ne
    # tiennent pas dans un menu déroulant.
    return django_filters.CharFilter(
        label="Collectivité",
        method=filtrer_collectivite,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": "Nom, code INSEE ou SIREN"}
        ),
    )


def prestations_souscrites() -> list[tuple[str, str]]:
    """Les prestations présentes dans l'inventaire (code, « libellé (code) »)."""
    libelles: dict[str, str] = {}
    for code, libelle in (
        Abonnement.objects.order_by("code", "libelle").values_list("code", "libelle")
    ).distinct():
        libelles.setdefault(code, libelle)
    return [(code, f"{libelle} ({code})") for code, libelle in libelles.items()]


class AbonnementFilter(django_filters.FilterSet):
    """Émetteur, prestation, état (actif / résilié) et collectivité."""

    collectivite = _champ_collectivite()
    emetteur = django_filters.ChoiceFilter(
        label="Émetteur",
        field_name="emetteur__code",
        choices=Emetteur.choices,
        empty_label="Tous",
    )
    code = django_filters.ChoiceFilter(
        label="Prestation", choices=prestations_souscrites, empty_label="Toutes"
    )
    statut = django_filters.ChoiceFilter(
        label="État", choices=Abonnement.Statut.choices, empty_label="Tous"
    )

    class Meta:
        model = Abonnement
        fields: list[str] = []


class DateFrancaiseFilter(django_filters.DateFilter):
    """Une date saisie en JJ/MM/AAAA (ou AAAA-MM-JJ) : une saisie illisible est
    un message en français sous le champ, jamais une erreur 500."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault(
            "widget",
            forms.DateInput(
                attrs={"placeholder": "JJ/MM/AAAA", "inputmode": "numeric"},
                format="%d/%m/%Y",
            ),
        )
        kwargs.setdefault("input_formats", ["%d/%m/%Y", "%Y-%m-%d"])
        kwargs.setdefault(
            "error_messages", {"invalid": "Saisissez une date au format JJ/MM/AAAA."}
        )
        super().__init__(*args, **kwargs)


class CleFilter(django_filters.FilterSet):
    """État de la clé, expiration au plus tard à une date, collectivité."""

    collectivite = _champ_collectivite()
    statut = django_filters.ChoiceFilter(
        label="État", choices=CleSignature.Statut.choices, empty_label="Tous"
    )
    expire_avant = DateFrancaiseFilter(
        label="Expire au plus tard le",
        field_name="expire_le",
        lookup_expr="lte",
    )

    class Meta:
        model = CleSignature
        fields: list[str] = []
