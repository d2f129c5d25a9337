"""Administration de la facturation : consultation seulement.

Une facture naît du service ``facture_emettre`` (page du devis accepté) et ne
se modifie ni ne se supprime jamais ; les compteurs de numérotation ne se
touchent pas à la main.
"""

from __future__ import annotations

from django.contrib import admin

from conventions.admin import LectureSeuleMixin
from facturation.models import CompteurFacture, Facture


@admin.register(Facture)
class FactureAdmin(LectureSeuleMixin, admin.ModelAdmin):
    list_display = (
        "numero",
        "emetteur",
        "collectivite",
        "devis",
        "date_emission",
        "total_ttc",
    )
    list_filter = ("emetteur", "annee")
    search_fields = ("numero", "devis__numero", "collectivite__nom")
    list_select_related = ("emetteur", "collectivite", "devis")
    date_hierarchy = "date_emission"
    actions = None  # pas de suppression en masse

    def get_readonly_fields(self, request, obj=None):
        return [champ.name for champ in Facture._meta.fields]


@admin.register(CompteurFacture)
class CompteurFactureAdmin(LectureSeuleMixin, admin.ModelAdmin):
    list_display = ("emetteur", "annee", "dernier")
    list_filter = ("emetteur", "annee")
    list_select_related = ("emetteur",)
