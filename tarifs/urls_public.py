"""Les pages publiques, sans connexion : simulateur et grille publiée."""

from django.urls import path  # noqa: F401

app_name = "public"

urlpatterns: list = []
