"""Administration des grilles : lecture seule une fois publiées.

Nouvelle version = action « dupliquer en nouvelle version » puis « publier ».
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import unquote
from django.core.exceptions import ValidationError
from django.template.response import TemplateResponse

from config.historique import HistoriqueAdmin
from tarifs.models import (
    Bareme,
    Categorie,
    GrilleTarifaire,
    LigneDerivee,
    Palier,
    Prestation,
    Tarif,
    TarifCategorie,
)
from tarifs.selectors import (
    grille_differences,
    grille_remplacee,
    journal_de_la_grille,
)
from tarifs.services import grille_dupliquer, grille_erreurs, grille_publier


def _avant_publication(grille: GrilleTarifaire) -> dict:
    """Ce que la confirmation de publication montre d'un brouillon : ce qui
    empêche de le publier et chaque prix qui change par rapport à la grille
    publiée qu'il remplacerait (avant → après)."""
    reference = grille_remplacee(grille)
    return {
        "grille": grille,
        "erreurs": grille_erreurs(grille),
        "reference": reference,
        "ecarts": grille_differences(reference, grille),
    }


def _grille_de(obj) -> GrilleTarifaire | None:
    return obj.grille_parente() if obj is not None else None


class VerrouPublication:
    """Lecture seule quand la grille de l'objet (ou du parent) est publiée."""

    def _verrouille(self, obj) -> bool:
        if obj is None:
            return False
        grille = obj if isinstance(obj, GrilleTarifaire) else _grille_de(obj)
        return grille is not None and grille.est_publiee

    def has_change_permission(self, request, obj=None):
        return not self._verrouille(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not self._verrouille(obj) and super().has_delete_permission(request, obj)

    def has_add_permission(self, request, *args):
        # ModelAdmin : (request) ; inline : (request, objet parent).
        if args and self._verrouille(args[0]):
            return False
        return super().has_add_permission(request, *args)

    # Seules les lignes d'une grille en brouillon peuvent être rattachées.
    _brouillons = {
        "grille": "statut",
        "bareme": "grille__statut",
        "categorie": "grille__statut",
        "prestation": "grille__statut",
        "tarif": "prestation__grille__statut",
    }

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        chemin = self._brouillons.get(db_field.name)
        if chemin:
            kwargs["queryset"] = db_field.related_model.objects.filter(
                **{chemin: GrilleTarifaire.Statut.BROUILLON}
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class CategorieInline(VerrouPublication, admin.TabularInline):
    model = Categorie
    extra = 0


class PrestationInline(VerrouPublication, admin.TabularInline):
    model = Prestation
    extra = 0
    fields = ["ordre", "code", "libelle", "section", "unite"]
    show_change_link = True


class BaremeInline(VerrouPublication, admin.TabularInline):
    model = Bareme
    extra = 0
    show_change_link = True


class LigneDeriveeInline(VerrouPublication, admin.TabularInline):
    model = LigneDerivee
    extra = 0
    show_change_link = True
    filter_horizontal = ["prestations_comptees"]


@admin.register(GrilleTarifaire)
class GrilleTarifaireAdmin(VerrouPublication, HistoriqueAdmin):
    list_display = [
        "reference",
        "date_deliberation",
        "date_effet",
        "statut",
        "publiee_le",
    ]
    list_filter = ["statut"]
    search_fields = ["reference", "prestations__code", "prestations__libelle"]
    readonly_fields = ["statut", "publiee_le", "creee_le"]
    inlines = [CategorieInline, BaremeInline, PrestationInline, LigneDeriveeInline]
    actions = ["dupliquer", "publier"]
    date_hierarchy = "date_effet"
    # Sous l'historique de la grille, celui de chacune de ses lignes.
    object_history_template = "admin/tarifs/grilletarifaire/historique.html"

    def history_view(self, request, object_id, extra_context=None):
        grille = self.get_object(request, unquote(object_id))
        contexte = {"journal_lignes": journal_de_la_grille(grille) if grille else []}
        return super().history_view(
            request, object_id, contexte | (extra_context or {})
        )

    def get_actions(self, request):
        actions = super().get_actions(request)
        # Une suppression en masse contournerait la garde des grilles publiées.
        actions.pop("delete_selected", None)
        return actions

    def get_search_results(self, request, queryset, search_term):
        queryset, _ = super().get_search_results(request, queryset, search_term)
        return queryset.distinct(), False

    @admin.action(description="Dupliquer en nouvelle version (brouillon)")
    def dupliquer(self, request, queryset):
        for grille in queryset:
            copie = grille_dupliquer(grille=grille)
            self.message_user(
                request,
                f"Grille {grille.reference} dupliquée : nouveau brouillon "
                f"n°{copie.pk}. Corrigez la référence, la date d'effet et les "
                "montants, puis publiez-la.",
                messages.SUCCESS,
            )

    @admin.action(description="Publier (la grille devient non modifiable)")
    def publier(self, request, queryset):
        brouillons = [g for g in queryset if not g.est_publiee]
        if len(brouillons) != len(queryset):
            self.message_user(
                request,
                "Seules les grilles en brouillon peuvent être publiées.",
                messages.ERROR,
            )
            return None
        if request.POST.get("confirmer") != "oui":
            return TemplateResponse(
                request,
                "admin/tarifs/confirmer_publication.html",
                {
                    **self.admin_site.each_context(request),
                    "title": "Confirmer la publication",
                    "opts": self.model._meta,
                    "grilles": [_avant_publication(g) for g in brouillons],
                    "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
                },
            )
        for grille in brouillons:
            try:
                grille_publier(grille=grille)
            except ValidationError as exc:
                self.message_user(
                    request,
                    f"Grille n°{grille.pk} non publiée : " + " ".join(exc.messages),
                    messages.ERROR,
                )
            else:
                self.message_user(
                    request,
                    f"Grille {grille.reference} publiée (effet au "
                    f"{grille.date_effet:%d/%m/%Y}).",
                    messages.SUCCESS,
                )
        return None


class TarifInline(VerrouPublication, admin.TabularInline):
    model = Tarif
    extra = 0
    show_change_link = True


@admin.register(Prestation)
class PrestationAdmin(VerrouPublication, HistoriqueAdmin):
    list_display = ["code", "libelle", "section", "grille"]
    list_filter = ["grille"]
    search_fields = ["code", "libelle"]
    inlines = [TarifInline]


class TarifCategorieInline(VerrouPublication, admin.TabularInline):
    model = TarifCategorie
    extra = 0


@admin.register(Tarif)
class TarifAdmin(VerrouPublication, HistoriqueAdmin):
    list_display = ["prestation", "emetteur", "calcul", "periodicite", "prix_unitaire"]
    list_filter = ["emetteur", "calcul", "prestation__grille"]
    search_fields = ["prestation__code"]
    inlines = [TarifCategorieInline]


class PalierInline(VerrouPublication, admin.TabularInline):
    model = Palier
    extra = 0


@admin.register(Bareme)
class BaremeAdmin(VerrouPublication, HistoriqueAdmin):
    list_display = ["code", "libelle", "grille"]
    list_filter = ["grille"]
    search_fields = ["code", "libelle"]
    inlines = [PalierInline]


@admin.register(LigneDerivee)
class LigneDeriveeAdmin(VerrouPublication, HistoriqueAdmin):
    list_display = ["code", "libelle", "emetteur", "grille"]
    list_filter = ["grille"]
    search_fields = ["code"]
    filter_horizontal = ["prestations_comptees"]
