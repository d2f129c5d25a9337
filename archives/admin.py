"""Administration des exports d'archives : consultation seulement (ils se
lancent depuis le back office, « Archives »)."""

from __future__ import annotations

from django.contrib import admin

from archives.models import ExportArchive
from conventions.admin import LectureSeuleMixin


@admin.register(ExportArchive)
class ExportArchiveAdmin(LectureSeuleMixin, admin.ModelAdmin):
    list_display = ("__str__", "statut", "faites", "total", "lance_par", "lance_le")
    list_filter = ("statut",)
    list_select_related = ("lance_par",)
    readonly_fields = ("sha256", "taille", "rapport", "tache")
