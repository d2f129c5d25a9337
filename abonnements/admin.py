"""Administration des abonnements : consultation (les abonnements naissent des
acceptations et se corrigent depuis la fiche de la collectivité ; les campagnes
se lancent depuis le back office)."""

from __future__ import annotations

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from abonnements.models import (
    Abonnement,
    CleSignature,
    DemandeRenouvellee,
    ElementLivre,
    ParametresRelances,
    Relance,
    Renouvellement,
)
from conventions.admin import LectureSeuleMixin


@admin.register(Abonnement)
class AbonnementAdmin(LectureSeuleMixin, SimpleHistoryAdmin):
    list_display = (
        "collectivite",
        "emetteur",
        "libelle",
        "quantite",
        "debut",
        "statut",
    )
    list_filter = ("statut", "emetteur", "code")
    search_fields = ("collectivite__nom", "code", "devis__numero")
    list_select_related = ("collectivite", "emetteur")


@admin.register(ElementLivre)
class ElementLivreAdmin(LectureSeuleMixin, admin.ModelAdmin):
    list_display = ("collectivite", "emetteur", "libelle", "quantite", "accepte_le")
    search_fields = ("collectivite__nom", "code", "devis__numero")
    list_select_related = ("collectivite", "emetteur")


@admin.register(Renouvellement)
class RenouvellementAdmin(LectureSeuleMixin, admin.ModelAdmin):
    list_display = ("annee", "statut", "faites", "total", "erreurs", "lance_le")
    list_filter = ("statut", "annee")


@admin.register(DemandeRenouvellee)
class DemandeRenouvelleeAdmin(LectureSeuleMixin, admin.ModelAdmin):
    list_display = ("annee", "collectivite", "demande", "creee_le")
    search_fields = ("collectivite__nom",)
    list_select_related = ("collectivite",)


@admin.register(ParametresRelances)
class ParametresRelancesAdmin(admin.ModelAdmin):
    """Les délais des relances : une seule ligne, qu'on modifie."""

    list_display = (
        "__str__",
        "devis_jours_avant_fin",
        "cles_jours_avant_expiration",
        "tentatives_max",
    )

    def has_add_permission(self, request):
        return not ParametresRelances.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Relance)
class RelanceAdmin(LectureSeuleMixin, admin.ModelAdmin):
    list_display = ("__str__", "motif", "statut", "tentatives", "envoyee_le")
    list_filter = ("statut", "motif")
    search_fields = (
        "devis__numero",
        "convention__collectivite__nom",
        "cle__collectivite__nom",
        "destinataires",
    )
    list_select_related = ("devis", "convention__collectivite", "cle__collectivite")


@admin.register(CleSignature)
class CleSignatureAdmin(LectureSeuleMixin, SimpleHistoryAdmin):
    list_display = ("collectivite", "titulaire_nom", "remise_le", "expire_le", "statut")
    list_filter = ("statut", "validite_annees", "mode_remise")
    search_fields = ("collectivite__nom", "titulaire_nom")
    list_select_related = ("collectivite",)
