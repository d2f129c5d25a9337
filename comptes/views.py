"""Accueil : chacun est envoyé de son côté selon son rôle."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect


@login_required
def accueil(request):
    """Back office pour les agents, portail sinon."""
    if request.user.est_agent:
        return redirect("gestion:tableau_de_bord")
    return redirect("portail:accueil")
