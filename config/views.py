"""Sonde de supervision."""

from __future__ import annotations

import logging
import uuid

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, connection
from django.http import HttpResponse
from django.views.decorators.cache import never_cache

journal = logging.getLogger(__name__)

CACHES_LOCAUX = (
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
)


def _etat_du_cache() -> str:
    """« local » (mémoire du processus), « ok » ou « dégradé » : aucune page ne
    dépend du cache (sessions en base), une panne de Redis est seulement
    signalée ici. Les délais de connexion et de lecture du cache Redis sont
    courts (``config/settings.py``) : la sonde répond en moins d'une seconde."""
    if settings.CACHES["default"]["BACKEND"] in CACHES_LOCAUX:
        return "local"
    cle, valeur = "sante:sonde", uuid.uuid4().hex
    try:
        cache.set(cle, valeur, 30)
        lu = cache.get(cle)
    except Exception as erreur:  # le client Redis lève des erreurs variées
        journal.warning("Cache indisponible : %s", erreur)
        return "dégradé"
    return "ok" if lu == valeur else "dégradé"


@never_cache
def sante(request):
    """Sonde de supervision : 200 si la base répond (l'état du cache est donné
    en plus, une panne du cache ne rend pas l'application indisponible), 503
    sinon."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return HttpResponse(
            "base de données indisponible",
            status=503,
            content_type="text/plain; charset=utf-8",
        )
    return HttpResponse(
        f"ok\ncache : {_etat_du_cache()}", content_type="text/plain; charset=utf-8"
    )


def echec_csrf(request, reason=""):
    """Échec de la vérification CSRF (``CSRF_FAILURE_VIEW``).

    Cas courant : la connexion a été faite dans un autre onglet, puis le
    formulaire de connexion de cet onglet-ci est envoyé avec un jeton périmé.
    L'utilisateur est déjà connecté : il va sur sa page d'accueil (portail ou
    back-office, voir ``comptes.views.accueil``). Sinon, une page 403 en
    français invite à recharger la page.
    """
    from django.contrib import messages
    from django.shortcuts import redirect, render
    from django.urls import reverse

    utilisateur = getattr(request, "user", None)
    if (
        utilisateur is not None
        and utilisateur.is_authenticated
        and request.path == reverse("connexion")
    ):
        messages.info(request, "Vous êtes déjà connecté(e).")
        return redirect("accueil")
    return render(
        request,
        "403_csrf.html",
        # Chemin local seulement (« //hote » serait une adresse externe).
        {"page_precedente": "/" + request.path.lstrip("/")},
        status=403,
    )
