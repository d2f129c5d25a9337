"""La facture d'un devis sur le portail (``/portail/<cid>/devis/<pk>/facture.pdf``),
dans l'espace de noms ``portail`` (``config/urls.py``)."""

from django.urls import path

from facturation import views

urlpatterns = [
    path(
        "<int:cid>/devis/<int:pk>/facture.pdf",
        views.facture_pdf_portail,
        name="facture_pdf",
    ),
]
