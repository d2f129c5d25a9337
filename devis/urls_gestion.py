"""Devis dans le back office (``/gestion/devis/``)."""

app_name = "devis"

urlpatterns: list = []
