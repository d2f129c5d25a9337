from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db import DatabaseError, connection
from django.http import HttpResponse
from django.shortcuts import redirect
from django.views.decorators.cache import never_cache


@login_required
def accueil(request):
    """Chacun est envoyé de son côté : back office pour les agents, portail sinon."""
    if request.user.est_agent:
        return redirect("gestion:tableau_de_bord")
    return redirect("portail:accueil")


@never_cache
def sante(request):
    """Sonde de supervision : 200 si la base répond, 503 sinon."""
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
    return HttpResponse("ok", content_type="text/plain; charset=utf-8")
