from django.urls import path

from tarifs import api

urlpatterns = [
    path("chiffrage", api.chiffrage, name="api_chiffrage"),
]
