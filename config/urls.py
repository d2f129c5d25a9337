from django.contrib import admin
from django.urls import include, path

from comptes import views as comptes_views
from config import views as config_views
from conventions import urls_portail as conventions_portail
from devis import urls_portail as devis_portail
from facturation import urls_portail as facturation_portail

# Le portail des collectivités : ses pages de collectivités et de conventions
# (conventions), ses devis (devis) et leurs factures (facturation), sous un
# même espace de noms.
portail = (
    conventions_portail.urlpatterns
    + devis_portail.urlpatterns
    + facturation_portail.urlpatterns,
    "portail",
)

urlpatterns = [
    path("", comptes_views.accueil, name="accueil"),
    path("sante", config_views.sante, name="sante"),
    path("", include("comptes.urls")),
    path("gestion/devis/", include("devis.urls_gestion")),
    path("gestion/abonnements/", include("abonnements.urls_gestion")),
    path("gestion/facturation/", include("facturation.urls_gestion")),
    path("gestion/archives/", include("archives.urls_gestion")),
    path("gestion/", include("conventions.urls_gestion")),
    path("portail/", include(portail)),
    path("api/", include("tarifs.urls_api")),
    path("", include("tarifs.urls_public")),
    path("admin/", admin.site.urls),
]

admin.site.site_header = "CDG 62 — Conventions et devis numériques"
admin.site.site_title = "Administration CDG 62"
admin.site.index_title = "Administration"
