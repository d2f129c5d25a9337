"""Back office des abonnements : campagnes de renouvellement annuel (lancement,
progression, rapport) et corrections d'un abonnement (début, résiliation)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from abonnements import cles, selectors, services
from abonnements.forms import (
    DebutForm,
    NouveauSignataireForm,
    RemiseCleForm,
    RenouvellementForm,
    ResiliationAbonnementForm,
)
from abonnements.models import Abonnement, CleSignature, Renouvellement
from conventions.access import agent_requis
from conventions.models import Collectivite


@agent_requis
def renouvellements(request, form=None):
    return render(
        request,
        "abonnements/gestion/renouvellements.html",
        {"form": form or RenouvellementForm(), "campagnes": selectors.campagnes()[:20]},
    )


@agent_requis
@require_POST
def renouvellement_lancer(request):
    form = RenouvellementForm(request.POST)
    if form.is_valid():
        try:
            campagne = services.renouvellement_lancer(
                annee=form.cleaned_data["annee"],
                jour=form.cleaned_data["date_renouvellement"],
                emettre=form.cleaned_data["emettre"],
                par=request.user,
            )
        except ValidationError as erreur:
            form.add_error(None, erreur)
        else:
            messages.success(
                request,
                f"Le renouvellement {campagne.annee} est lancé : la page suit sa "
                "progression.",
            )
            return redirect("abonnements:renouvellement", pk=campagne.pk)
    return renouvellements(request, form=form)


@agent_requis
def renouvellement(request, pk: int):
    campagne = get_object_or_404(Renouvellement, pk=pk)
    return render(
        request, "abonnements/gestion/renouvellement.html", {"campagne": campagne}
    )


@agent_requis
@require_POST
def renouvellement_reprendre(request, pk: int):
    campagne = get_object_or_404(Renouvellement, pk=pk)
    try:
        services.renouvellement_reprendre(campagne=campagne, par=request.user)
    except ValidationError as erreur:
        messages.error(request, " ".join(erreur.messages))
    else:
        messages.success(
            request, "La campagne est remise en file : elle reprend où elle en était."
        )
    return redirect("abonnements:renouvellement", pk=pk)


@agent_requis
def renouvellement_progression(request, pk: int):
    """Le fragment de progression, relu par htmx tant que la campagne tourne."""
    campagne = get_object_or_404(Renouvellement, pk=pk)
    return render(
        request, "abonnements/gestion/_progression.html", {"campagne": campagne}
    )


def _erreurs(form) -> str:
    return " ".join(e for liste in form.errors.values() for e in liste)


def _retour(abonnement: Abonnement):
    return redirect("gestion:collectivite", pk=abonnement.collectivite_id)


def _formulaire_puis_service(request, form, service, succes) -> None:
    """Valide ``form``, puis appelle ``service(**form.cleaned_data)`` ; chaque
    refus devient un message en français, rien n'est écrit. ``succes`` : le
    message, ou une fonction du résultat du service qui le donne."""
    if not form.is_valid():
        messages.error(request, _erreurs(form))
        return
    try:
        resultat = service(**form.cleaned_data)
    except ValidationError as erreur:
        messages.error(request, " ".join(erreur.messages))
        return
    messages.success(request, succes(resultat) if callable(succes) else succes)


@agent_requis
@require_POST
def abonnement_debut(request, pk: int):
    abonnement = get_object_or_404(Abonnement, pk=pk)
    _formulaire_puis_service(
        request,
        DebutForm(request.POST),
        lambda debut: services.abonnement_fixer_debut(
            abonnement=abonnement, debut=debut, par=request.user
        ),
        f"Début du service de « {abonnement.libelle} » fixé.",
    )
    return _retour(abonnement)


@agent_requis
@require_POST
def abonnement_resilier(request, pk: int):
    abonnement = get_object_or_404(Abonnement, pk=pk)
    _formulaire_puis_service(
        request,
        ResiliationAbonnementForm(request.POST),
        lambda **champs: services.abonnement_resilier(
            abonnement=abonnement, **champs, par=request.user
        ),
        f"L'abonnement « {abonnement.libelle} » est résilié.",
    )
    return _retour(abonnement)


@agent_requis
@require_POST
def cle_remettre(request, pk: int):
    cle = get_object_or_404(CleSignature, pk=pk)
    _formulaire_puis_service(
        request,
        RemiseCleForm(request.POST),
        lambda **champs: cles.cle_remettre(cle=cle, **champs, par=request.user),
        "La remise de la clé est enregistrée.",
    )
    return redirect("gestion:collectivite", pk=cle.collectivite_id)


@agent_requis
@require_POST
def cle_preparer_renouvellement(request, pk: int):
    cle = get_object_or_404(CleSignature, pk=pk)
    try:
        brouillon = cles.cle_preparer_renouvellement(cle=cle, par=request.user)
    except ValidationError as erreur:
        messages.error(request, " ".join(erreur.messages))
        return redirect("gestion:collectivite", pk=cle.collectivite_id)
    messages.success(request, "Le brouillon du renouvellement de la clé est prêt.")
    return redirect("devis:detail", pk=brouillon.pk)


@agent_requis
@require_POST
def nouveau_signataire(request, pk: int):
    collectivite = get_object_or_404(Collectivite, pk=pk)
    _formulaire_puis_service(
        request,
        NouveauSignataireForm(request.POST),
        lambda nom: cles.nouveau_signataire(
            collectivite=collectivite, nom=nom, par=request.user
        ),
        lambda nombre: (
            f"Nouveau signataire enregistré : {nombre} clé(s) signalée(s) "
            "« titulaire parti »."
        ),
    )
    return redirect("gestion:collectivite", pk=pk)
