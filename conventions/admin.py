"""Administration Django des collectivités, organismes et conventions.

Réservée aux administrateurs ; le travail courant des agents se fait dans le
back office ``/gestion/``. Chaque modifiable garde son historique
(django-simple-history, bouton « Historique »).
"""

from __future__ import annotations

from django.contrib import admin
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from simple_history.admin import SimpleHistoryAdmin

from conventions.models import (
    Adhesion,
    Collectivite,
    Convention,
    Organisme,
    Signature,
    TermesConvention,
)
from conventions.selectors import q_nom_cherche


class LectureSeuleMixin:
    """Ni ajout, ni modification, ni suppression : consultation seulement."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class AdhesionEnLigne(admin.TabularInline):
    model = Adhesion
    extra = 0
    autocomplete_fields = ["collectivite"]


@admin.register(Collectivite)
class CollectiviteAdmin(SimpleHistoryAdmin):
    list_display = (
        "nom",
        "type",
        "code_insee",
        "siren",
        "population",
        "population_annee",
        "agents",
        "categorie_forcee",
    )
    list_filter = ("type", "arrondissement", "categorie_forcee")
    # Le nom se cherche par sa forme normalisée (voir get_search_results).
    search_fields = ("=code_insee", "siren", "siret", "ville")
    autocomplete_fields = ["epci"]
    fieldsets = (
        (None, {"fields": ("type", "nom")}),
        ("Identifiants", {"fields": ("siren", "siret", "code_insee")}),
        (
            "Référentiel officiel",
            {
                "fields": (
                    "epci",
                    "nature_epci",
                    "arrondissement",
                    "codes_postaux",
                    "population_municipale",
                    "population_source",
                    "referentiel_millesime",
                )
            },
        ),
        ("Adresse", {"fields": ("adresse", "code_postal", "ville")}),
        (
            "Effectifs",
            {"fields": ("population", "population_annee", "agents", "agents_date")},
        ),
        ("Contact", {"fields": ("emails_contact", "telephone")}),
        (
            "Catégorie forcée",
            {"fields": ("categorie_forcee", "categorie_forcee_motif")},
        ),
    )
    inlines = [AdhesionEnLigne]

    def get_search_results(self, request, queryset, search_term):
        """Le nom comme on le tape (casse, accents, tirets, apostrophes), par
        la colonne normalisée indexée ; les identifiants comme d'habitude."""
        resultats, doublons = super().get_search_results(request, queryset, search_term)
        condition = q_nom_cherche(search_term)
        if condition is not None:
            resultats |= queryset.filter(condition)
        return resultats, doublons


@admin.register(TermesConvention)
class TermesConventionAdmin(SimpleHistoryAdmin):
    """Les termes de la convention : un brouillon se modifie, une version
    publiée ne change plus (garde du modèle) ; on en crée une nouvelle."""

    list_display = (
        "reference",
        "date_effet",
        "statut",
        "duree_annees",
        "preavis_mois",
        "note",
    )
    list_filter = ("statut",)
    fields = (
        "reference",
        "date_effet",
        "statut",
        "duree_annees",
        "reconduction",
        "preavis_mois",
        "note",
        "publiee_le",
    )
    readonly_fields = ("publiee_le",)

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.est_publiee:
            return self.fields
        return self.readonly_fields

    def has_delete_permission(self, request, obj=None):
        return obj is None or not obj.est_publiee

    def save_model(self, request, obj, form, change):
        if obj.est_publiee and obj.publiee_le is None:
            obj.publiee_le = timezone.now()
        super().save_model(request, obj, form, change)


@admin.register(Organisme)
class OrganismeAdmin(SimpleHistoryAdmin):
    list_display = (
        "nom",
        "code",
        "prefixe_numero",
        "validite_jours",
        "signataire_nom",
        "siret",
    )
    list_filter = ("code",)
    search_fields = ("nom", "siret", "signataire_nom")


@admin.register(Adhesion)
class AdhesionAdmin(SimpleHistoryAdmin):
    list_display = ("utilisateur", "collectivite", "role", "creee_le")
    list_filter = ("role",)
    search_fields = ("utilisateur__email", "collectivite__nom")
    autocomplete_fields = ["utilisateur", "collectivite"]
    list_select_related = ("utilisateur", "collectivite")


class SignatureEnLigne(LectureSeuleMixin, admin.TabularInline):
    model = Signature
    extra = 0
    fields = ("partie", "signataire_nom", "signataire_qualite", "date")


@admin.register(Convention)
class ConventionAdmin(LectureSeuleMixin, SimpleHistoryAdmin):
    """Consultation seulement : une convention naît, part en signature, se
    signe, se résilie ou expire par ses services (``conventions.services``),
    depuis le back office, jamais par une saisie libre de son état."""

    list_display = (
        "__str__",
        "collectivite",
        "statut",
        "grille",
        "date_effet",
        "date_fin",
        "creee_le",
    )
    list_filter = ("statut", "grille")
    search_fields = ("collectivite__nom", "collectivite__code_insee", "=id")
    list_select_related = ("collectivite", "grille")
    autocomplete_fields = ["collectivite"]
    # Le scan signé vit sur un stockage privé : pas de lien de téléchargement
    # ici (il passerait par MEDIA_URL) ; il se télécharge depuis /gestion/.
    fields = (
        "gerer",
        "collectivite",
        "statut",
        "grille",
        "date_effet",
        "date_fin",
        "resiliation_date",
        "resiliation_motif",
        "scan_nom",
        "scan_sha256",
        "scan_depose_le",
        "creee_le",
        "creee_par",
    )
    readonly_fields = (
        "gerer",
        "scan_nom",
        "scan_sha256",
        "scan_depose_le",
        "creee_le",
        "creee_par",
    )
    date_hierarchy = "creee_le"
    inlines = [SignatureEnLigne]

    @admin.display(description="back office")
    def gerer(self, convention: Convention) -> str:
        return format_html(
            '<a href="{}">Gérer cette convention dans le back office</a>',
            reverse("gestion:convention", args=[convention.pk]),
        )

    @admin.display(description="convention signée (PDF)")
    def scan_nom(self, convention: Convention) -> str:
        return convention.scan.name.rsplit("/", 1)[-1] if convention.scan else "—"


@admin.register(Signature)
class SignatureAdmin(LectureSeuleMixin, SimpleHistoryAdmin):
    """Une signature s'enregistre par le service de la convention."""

    list_display = (
        "convention",
        "partie",
        "signataire_nom",
        "signataire_qualite",
        "date",
    )
    list_filter = ("partie",)
    search_fields = ("signataire_nom", "convention__collectivite__nom")
    list_select_related = ("convention__collectivite",)
    readonly_fields = ("enregistree_par", "enregistree_le")
