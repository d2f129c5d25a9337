"""URLs du banc d'essai : celles du projet plus une vue « hello world » de référence.

Chargées seulement par ``bench/bench_pages.py`` (réglages ``bench.reglages``),
jamais en production.
"""

from django.http import HttpResponse
from django.urls import include, path


def bonjour(request):
    return HttpResponse("Bonjour", content_type="text/plain")


urlpatterns = [
    path("bench/bonjour", bonjour),
    path("", include("config.urls")),
]
