"""Portail des secrétaires de mairie (``/portail/``) : collectivités et conventions.

Ces adresses et celles de ``devis/urls_portail.py`` forment l'espace de noms
``portail`` (``config/urls.py``).

Toute adresse porte la collectivité (``<cid>``) : la vue vérifie d'abord que
l'utilisateur y est rattaché (sinon 404), puis que l'objet demandé appartient
à cette collectivité (sinon 404).
"""

from django.urls import path

from conventions import views_portail as vues

urlpatterns = [
    path("", vues.accueil, name="accueil"),
    path("<int:cid>/", vues.collectivite, name="collectivite"),
    path(
        "<int:cid>/conventions/<int:pk>/pdf",
        vues.convention_pdf,
        name="convention_pdf",
    ),
    path(
        "<int:cid>/conventions/<int:pk>/scan",
        vues.convention_scan,
        name="convention_scan",
    ),
]
