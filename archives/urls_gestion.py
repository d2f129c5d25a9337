"""L'export d'archives du back office."""

from django.urls import path

from archives import views as vues

app_name = "archives"

urlpatterns = [
    path("", vues.exports, name="exports"),
    path("lancer", vues.export_lancer, name="export_lancer"),
    path("<int:pk>/", vues.export, name="export"),
    path("<int:pk>/progression", vues.export_progression, name="export_progression"),
    path("<int:pk>/telecharger", vues.export_telecharger, name="export_telecharger"),
]
