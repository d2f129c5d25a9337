"""Administration des comptes : adresse, rôle, rattachements aux collectivités,
et l'historique de chaque compte (bouton « Historique », sans mot de passe)."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm

from comptes.models import Utilisateur
from config.historique import HistoriqueAdmin
from conventions.admin import AdhesionEnLigne


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


@admin.register(Utilisateur)
class UtilisateurAdmin(HistoriqueAdmin, UserAdmin):
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
    actions = ["desactiver"]

    @admin.action(description="Désactiver les comptes sélectionnés")
    def desactiver(self, request, queryset):
        comptes = list(queryset.filter(is_active=True))
        for compte in comptes:
            compte.is_active = False
            compte.save(update_fields=["is_active"])
        self.message_user(
            request,
            f"{len(comptes)} compte(s) désactivé(s) : ils ne peuvent plus se "
            "connecter, leurs documents gardent leur auteur.",
            messages.SUCCESS,
        )

    def delete_view(self, request, object_id, extra_context=None):
        reponse = super().delete_view(request, object_id, extra_context)
        contexte = getattr(reponse, "context_data", None) or {}
        if contexte.get("protected"):
            messages.warning(
                request,
                "Ce compte a créé ou traité des documents : il ne peut pas être "
                "supprimé. Désactivez-le (case « Actif » ou action « Désactiver "
                "les comptes sélectionnés »).",
            )
        return reponse

    def get_inlines(self, request, obj=None):
        # Le formulaire de création reste court : adresse, rôle, mot de passe.
        return self.inlines if obj is not None else []
