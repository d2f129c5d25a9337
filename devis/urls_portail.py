"""Les devis sur le portail (``/portail/<cid>/devis/…``), dans l'espace de noms
``portail`` avec ``conventions/urls_portail.py`` (``config/urls.py``)."""

from django.urls import path

from devis import views_portail as vues

urlpatterns = [
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
