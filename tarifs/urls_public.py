"""Les pages publiques, sans connexion : simulateur et grille publiée."""

from django.urls import path

from tarifs import views_public as vues

app_name = "public"

urlpatterns = [
    path("simulateur/", vues.simulateur, name="simulateur"),
    path(
        "simulateur/chiffrage",
        vues.simulateur_chiffrage,
        name="simulateur_chiffrage",
    ),
    path(
        "simulateur/communes",
        vues.simulateur_communes,
        name="simulateur_communes",
    ),
    path("tarifs/", vues.grille_en_vigueur_page, name="grille_en_vigueur"),
    # <reference> : la référence de la délibération en adresse (« 2024-14 »).
    path("tarifs/<reference>/", vues.grille_publiee, name="grille"),
]
