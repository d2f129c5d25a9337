"""Portail des secrétaires de mairie (``/portail/``).

Toute adresse porte la collectivité (``<cid>``) : la vue vérifie d'abord que
l'utilisateur y est rattaché (sinon 404), puis que l'objet demandé appartient
à cette collectivité (sinon 404).
"""

from django.urls import path

from conventions import views_portail as vues

app_name = "portail"

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
    path("<int:cid>/devis/<int:pk>/", vues.devis_detail, name="devis"),
    path("<int:cid>/devis/<int:pk>/pdf", vues.devis_pdf, name="devis_pdf"),
    path(
        "<int:cid>/devis/<int:pk>/accepter",
        vues.devis_accepter,
        name="devis_accepter",
    ),
    path("<int:cid>/devis/<int:pk>/refuser", vues.devis_refuser, name="devis_refuser"),
    path(
        "<int:cid>/demandes/<int:pk>/accepter",
        vues.demande_accepter,
        name="demande_accepter",
    ),
    path("<int:cid>/demander", vues.demander, name="demander"),
    path("<int:cid>/chiffrage", vues.chiffrage, name="chiffrage"),
]
