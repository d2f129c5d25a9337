from django.urls import path

from abonnements import views as vues

app_name = "abonnements"

urlpatterns = [
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
    path("<int:pk>/debut", vues.abonnement_debut, name="abonnement_debut"),
    path("<int:pk>/resilier", vues.abonnement_resilier, name="abonnement_resilier"),
]
