"""Administration Django des collectivités, organismes et conventions.

Réservée aux administrateurs ; le travail courant des agents se fait dans le
back office ``/gestion/``. Chaque modifiable garde son historique
(django-simple-history, bouton « Historique »).
"""

from __future__ import annotations

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from conventions.models import (
    Adhesion,
    Collectivite,
    Convention,
    Organisme,
    Signature,
)


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
    list_filter = ("type", "categorie_forcee")
    search_fields = ("nom", "code_insee", "siren", "siret", "ville")
    fieldsets = (
        (None, {"fields": ("type", "nom")}),
        ("Identifiants", {"fields": ("siren", "siret", "code_insee")}),
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


class SignatureEnLigne(admin.TabularInline):
    model = Signature
    extra = 0
    fields = ("partie", "signataire_nom", "signataire_qualite", "date")


@admin.register(Convention)
class ConventionAdmin(SimpleHistoryAdmin):
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
        "scan_nom",
        "scan_sha256",
        "scan_depose_le",
        "creee_le",
        "creee_par",
    )
    date_hierarchy = "creee_le"
    inlines = [SignatureEnLigne]

    @admin.display(description="convention signée (PDF)")
    def scan_nom(self, convention: Convention) -> str:
        return convention.scan.name.rsplit("/", 1)[-1] if convention.scan else "—"


@admin.register(Signature)
class SignatureAdmin(SimpleHistoryAdmin):
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
