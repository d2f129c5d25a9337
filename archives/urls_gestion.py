"""L'export d'archives du back office."""

from django.urls import path  # noqa: F401

app_name = "archives"

urlpatterns: list = []
