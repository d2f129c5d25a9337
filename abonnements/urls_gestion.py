from django.urls import path

from abonnements import views as vues
from abonnements import views_listes
from abonnements.views_comparaison import comparaison

app_name = "abonnements"

urlpatterns = [
    path("liste/", views_listes.abonnements_liste, name="abonnements_liste"),
    path("cles/", views_listes.cles_liste, name="cles_liste"),
    path("renouvellements/", vues.renouvellements, name="renouvellements"),
    path(
        "renouvellements/lancer",
        vues.renouvellement_lancer,
        name="renouvellement_lancer",
    ),
    path("renouvellements/<int:pk>/", vues.renouvellement, name="renouvellement"),
    path(
        "renouvellements/<int:pk>/reprendre",
        vues.renouvellement_reprendre,
        name="renouvellement_reprendre",
    ),
    path(
        "renouvellements/<int:pk>/progression",
        vues.renouvellement_progression,
        name="renouvellement_progression",
    ),
    path("cles/<int:pk>/remise", vues.cle_remettre, name="cle_remettre"),
    path(
        "cles/<int:pk>/renouveler",
        vues.cle_preparer_renouvellement,
        name="cle_preparer_renouvellement",
    ),
    path(
        "collectivites/<int:pk>/signataire",
        vues.nouveau_signataire,
        name="nouveau_signataire",
    ),
    path("<int:pk>/debut", vues.abonnement_debut, name="abonnement_debut"),
    path("<int:pk>/resilier", vues.abonnement_resilier, name="abonnement_resilier"),
    path(
        "comparaison/<int:grille_pk>/",
        comparaison,
        name="comparaison",
    ),
]
