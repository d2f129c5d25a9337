"""Back office des agents du CDG (``/gestion/``)."""

from django.urls import path

app_name = "gestion"

urlpatterns: list = [
    path("", lambda request: None, name="tableau_de_bord"),  # remplacée par la vraie vue
]
