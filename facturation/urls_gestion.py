"""Les pages de facturation du back office (état des sommes, factures)."""

from django.urls import path  # noqa: F401

app_name = "facturation"

urlpatterns: list = []
