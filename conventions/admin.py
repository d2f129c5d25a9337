"""Administration Django des comptes, collectivités, organismes et conventions.

Réservée aux administrateurs ; le travail courant des agents se fait dans le
back office ``/gestion/``. Chaque modifiable garde son historique
(django-simple-history, bouton « Historique »).
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from simple_history.admin import SimpleHistoryAdmin

from conventions.models import (
    Adhesion,
    Collectivite,
    Convention,
    Organisme,
    Signature,
    Utilisateur,
)


class _EmailUnique:
    """Adresse en minuscules, unique sans tenir compte de la casse."""

    def clean_email(self):
        email = self.cleaned_data["email"].strip().lower()
        deja = Utilisateur.objects.filter(email__iexact=email)
        if self.instance.pk:
            deja = deja.exclude(pk=self.instance.pk)
        if deja.exists():
            raise forms.ValidationError("Un compte existe déjà avec cette adresse.")
        return email


class UtilisateurCreationForm(_EmailUnique, AdminUserCreationForm):
    class Meta:
        model = Utilisateur
        fields = ("email", "role")


class UtilisateurModificationForm(_EmailUnique, UserChangeForm):
    class Meta:
        model = Utilisateur
        fields = "__all__"


class AdhesionEnLigne(admin.TabularInline):
    model = Adhesion
    extra = 0
    autocomplete_fields = ["collectivite"]


@admin.register(Utilisateur)
class UtilisateurAdmin(UserAdmin):
    form = UtilisateurModificationForm
    add_form = UtilisateurCreationForm
    fieldsets = (
        (None, {"fields": ("email", "password", "role")}),
        ("Identité", {"fields": ("first_name", "last_name")}),
        (
            "Permissions",
            {
                "fields": (
                    "is_active",
                    "is_staff",
                    "is_superuser",
                    "groups",
                    "user_permissions",
                )
            },
        ),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": (
                    "email",
                    "role",
                    "usable_password",
                    "password1",
                    "password2",
                ),
            },
        ),
    )
    list_display = ("email", "first_name", "last_name", "role", "is_active", "is_staff")
    list_filter = ("role", "is_active", "is_staff", "is_superuser")
    search_fields = ("email", "first_name", "last_name")
    ordering = ("email",)
    inlines = [AdhesionEnLigne]

    def get_inlines(self, request, obj=None):
        # Le formulaire de création reste court : adresse, rôle, mot de passe.
        return self.inlines if obj is not None else []


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
        "emetteur",
        "prefixe_numero",
        "validite_jours",
        "signataire_nom",
        "siret",
    )
    list_filter = ("emetteur",)
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
