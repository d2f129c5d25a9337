"""Administration des devis : consultation.

Les devis s'écrivent par les services (back office ``/gestion/devis/``) : ici,
un devis émis est en lecture seule et ne se supprime pas ; un brouillon peut
être supprimé (par ``devis_supprimer_brouillon``). Les compteurs de numérotation
ne se modifient jamais à la main.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import ValidationError

from config.historique import HistoriqueAdmin
from conventions.admin import LectureSeuleMixin
from devis.models import (
    CompteurDevis,
    DemandeDevis,
    Devis,
    EnvoiDevis,
    EvenementDevis,
    LigneDevis,
)
from devis.services import devis_supprimer_brouillon


class LigneDevisEnLigne(LectureSeuleMixin, admin.TabularInline):
    model = LigneDevis
    extra = 0
    fields = (
        "ordre",
        "libelle",
        "unite",
        "quantite",
        "prix_unitaire",
        "montant",
        "periodicite",
        "mode",
        "prix_manuel",
        "justification",
    )
    readonly_fields = fields


class EvenementDevisEnLigne(LectureSeuleMixin, admin.TabularInline):
    model = EvenementDevis
    extra = 0
    fields = ("le", "statut", "commentaire", "par")
    readonly_fields = fields


class EnvoiDevisEnLigne(LectureSeuleMixin, admin.TabularInline):
    model = EnvoiDevis
    extra = 0
    fields = ("envoye_le", "destinataires", "envoye_par")
    readonly_fields = fields


@admin.register(Devis)
class DevisAdmin(admin.ModelAdmin):
    list_display = (
        "__str__",
        "emetteur",
        "collectivite",
        "statut",
        "date_emission",
        "total_unique",
        "total_annuel",
        "total_premiere_annee",
    )
    list_filter = ("statut", "emetteur", "annee")
    search_fields = ("numero", "collectivite__nom")
    list_select_related = ("emetteur", "collectivite")
    date_hierarchy = "cree_le"
    inlines = (LigneDevisEnLigne, EvenementDevisEnLigne, EnvoiDevisEnLigne)
    actions = None  # pas de suppression en masse

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in Devis._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        if obj is not None and not obj.est_brouillon:
            return False
        return super().has_delete_permission(request, obj)

    def get_deleted_objects(self, objs, request):
        # Les lignes et l'historique d'un brouillon (protégés par PROTECT) partent
        # avec lui, par le service : rien ne bloque la confirmation.
        objets = list(objs)
        return [str(o) for o in objets], {"devis": len(objets)}, set(), []

    def delete_model(self, request, obj):
        try:
            devis_supprimer_brouillon(devis=obj, par=request.user)
        except ValidationError as erreur:
            self.message_user(request, " ".join(erreur.messages), messages.ERROR)


@admin.register(DemandeDevis)
class DemandeDevisAdmin(LectureSeuleMixin, HistoriqueAdmin):
    list_display = ("__str__", "collectivite", "statut", "demandee_par", "creee_le")
    list_filter = ("statut",)
    search_fields = ("collectivite__nom",)
    list_select_related = ("collectivite", "demandee_par")


@admin.register(EnvoiDevis)
class EnvoiDevisAdmin(LectureSeuleMixin, admin.ModelAdmin):
    list_display = ("devis", "destinataires", "envoye_le", "envoye_par")
    search_fields = ("devis__numero", "destinataires")
    list_select_related = ("devis", "envoye_par")


@admin.register(EvenementDevis)
class EvenementDevisAdmin(LectureSeuleMixin, admin.ModelAdmin):
    list_display = ("devis", "statut", "commentaire", "par", "le")
    list_filter = ("statut",)
    search_fields = ("devis__numero",)
    list_select_related = ("devis", "par")


@admin.register(CompteurDevis)
class CompteurDevisAdmin(LectureSeuleMixin, admin.ModelAdmin):
    list_display = ("emetteur", "annee", "dernier")
    list_filter = ("emetteur", "annee")
    list_select_related = ("emetteur",)
