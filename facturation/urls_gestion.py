"""Les pages de facturation du back office (état des sommes, factures)."""

from django.urls import path  # noqa: F401

from facturation import views as vues_factures
from facturation import views_etat

app_name = "facturation"

urlpatterns: list = [
    # --- État des sommes à facturer (CSV / XLSX par ?export=) ---
    path("etat/", views_etat.etat, name="etat"),
    # --- Factures Factur-X (par devis accepté) ---
    path(
        "devis/<int:pk>/facture",
        vues_factures.facture_emettre,
        name="facture_emettre",
    ),
    path("devis/<int:pk>/facture.pdf", vues_factures.facture_pdf, name="facture_pdf"),
]
