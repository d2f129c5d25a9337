"""Back office des agents du CDG (``/gestion/``)."""

from django.urls import path

from conventions import views_gestion as vues
from conventions import views_statistiques

app_name = "gestion"

urlpatterns = [
    path("", vues.tableau_de_bord, name="tableau_de_bord"),
    path(
        "tableau-de-bord/<graphique>.csv",
        views_statistiques.graphique_csv,
        name="tableau_de_bord_csv",
    ),
    # Collectivités
    path("collectivites/", vues.collectivite_liste, name="collectivites"),
    path(
        "collectivites/nouvelle/",
        vues.collectivite_creer,
        name="collectivite_creer",
    ),
    path("collectivites/<int:pk>/", vues.collectivite_detail, name="collectivite"),
    path(
        "collectivites/<int:pk>/modifier/",
        vues.collectivite_modifier,
        name="collectivite_modifier",
    ),
    path(
        "collectivites/<int:pk>/categorie/",
        vues.collectivite_categorie,
        name="collectivite_categorie",
    ),
    path(
        "collectivites/<int:pk>/convention/",
        vues.collectivite_convention_creer,
        name="convention_creer",
    ),
    # Conventions
    path("conventions/", vues.convention_liste, name="conventions"),
    path("conventions/<int:pk>/", vues.convention_detail, name="convention"),
    path(
        "conventions/<int:pk>/envoyer/",
        vues.convention_envoyer,
        name="convention_envoyer",
    ),
    path(
        "conventions/<int:pk>/signer/", vues.convention_signer, name="convention_signer"
    ),
    path(
        "conventions/<int:pk>/scan/deposer/",
        vues.convention_deposer_scan,
        name="convention_deposer_scan",
    ),
    path("conventions/<int:pk>/scan/", vues.convention_scan, name="convention_scan"),
    path("conventions/<int:pk>/pdf/", vues.convention_pdf, name="convention_pdf"),
    path(
        "conventions/<int:pk>/resilier/",
        vues.convention_resilier,
        name="convention_resilier",
    ),
    path(
        "conventions/<int:pk>/expirer/",
        vues.convention_expirer,
        name="convention_expirer",
    ),
    path(
        "conventions/<int:pk>/supprimer/",
        vues.convention_supprimer,
        name="convention_supprimer",
    ),
]
