from django.contrib import admin
from django.urls import include, path

from conventions import views as conventions_views

urlpatterns = [
    path("", conventions_views.accueil, name="accueil"),
    path("sante", conventions_views.sante, name="sante"),
    path("", include("conventions.urls_auth")),
    path("gestion/devis/", include("devis.urls_gestion")),
    path("gestion/", include("conventions.urls_gestion")),
    path("portail/", include("conventions.urls_portail")),
    path("api/", include("tarifs.urls_api")),
    path("admin/", admin.site.urls),
]

admin.site.site_header = "CDG 62 — Conventions et devis numériques"
admin.site.site_title = "Administration CDG 62"
admin.site.index_title = "Administration"
