"""Qui peut voir quoi : les aides d'accès partagées par toutes les vues.

Règles :
- le back office (``/gestion/``) est réservé aux agents du CDG et aux
  administrateurs : anonyme → page de connexion, autre utilisateur → 403 ;
- un utilisateur du portail ne voit que les collectivités auxquelles il est
  rattaché : tout autre objet → 404 (on ne révèle pas son existence).
"""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect

from conventions.models import Adhesion, Collectivite


def agent_requis(vue):
    """Décorateur des vues du back office."""

    @wraps(vue)
    def enveloppe(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not request.user.est_agent:
            raise PermissionDenied("Réservé aux agents du CDG.")
        return vue(request, *args, **kwargs)

    return enveloppe


def portail_requis(vue):
    """Anonyme → connexion ; agent ou administrateur → back office."""

    @wraps(vue)
    def enveloppe(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if request.user.est_agent:
            return redirect("gestion:tableau_de_bord")
        return vue(request, *args, **kwargs)

    return enveloppe


def collectivites_visibles(utilisateur):
    """Les collectivités qu'un utilisateur peut voir."""
    if utilisateur.est_agent:
        return Collectivite.objects.all()
    return Collectivite.objects.filter(adhesions__utilisateur=utilisateur)


def adhesion_ou_404(utilisateur, collectivite_id: int) -> Adhesion:
    """Le rattachement de l'utilisateur à la collectivité, ou 404."""
    return get_object_or_404(
        Adhesion.objects.select_related("collectivite"),
        utilisateur=utilisateur,
        collectivite_id=collectivite_id,
    )


# --- Qui peut répondre à un devis ---------------------------------------------

MESSAGE_RESERVE_SIGNATAIRE = (
    "Seul un membre signataire de la collectivité peut répondre à un devis."
)


def est_signataire(adhesion: Adhesion | None) -> bool:
    """Un rattachement *signataire* engage la collectivité (bon pour accord,
    refus) ; *consultation* ne fait que lire."""
    return adhesion is not None and adhesion.role == Adhesion.Role.SIGNATAIRE


def signataire_requis(adhesion: Adhesion) -> None:
    """Portail : un membre *consultation* qui tente de répondre reçoit un 403."""
    if not est_signataire(adhesion):
        raise PermissionDenied(MESSAGE_RESERVE_SIGNATAIRE)


def peut_repondre_devis(utilisateur, collectivite_id: int, *, canal: str) -> bool:
    """Qui peut accepter ou refuser un devis de la collectivité (domaine §6) :
    sur le portail, un signataire de cette collectivité ; sur papier, un agent
    du CDG qui saisit la réponse reçue."""
    if utilisateur is None or not utilisateur.is_active:
        return False
    if canal == "papier":
        return utilisateur.est_agent
    if canal == "portail":
        return Adhesion.objects.filter(
            utilisateur=utilisateur,
            collectivite_id=collectivite_id,
            role=Adhesion.Role.SIGNATAIRE,
        ).exists()
    return False
