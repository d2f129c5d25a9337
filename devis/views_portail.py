"""Les devis sur le portail des secrétaires de mairie (``/portail/<cid>/…``).

Règles d'accès (``conventions.access``) : l'utilisateur est rattaché à la
collectivité (sinon 404) ; les brouillons n'existent pas pour le portail
(404) ; seul un membre *signataire* répond à un devis (sinon 403).

Chaque vue : accès → formulaire → service → redirection avec un message, ou
nouvel affichage de la page avec la saisie et les erreurs en français.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from conventions.access import (
    adhesion_ou_404,
    est_signataire,
    portail_requis,
    signataire_requis,
)
from conventions.fichiers import reponse_fichier_prive
from conventions.models import Adhesion, Collectivite
from conventions.views_portail import page_collectivite
from devis import selectors, services
from devis.chiffrage_formulaire import apercu_du_chiffrage
from devis.forms import AccordPortailForm, DemandeDevisForm, RefusPortailForm
from devis.models import DemandeDevis, Devis
from tarifs.selectors import AucuneGrilleEnVigueur, instantane_en_vigueur

CANAL = "portail"


def _signaler(request, erreur: ValidationError) -> None:
    """Le refus d'un service, en message : la saisie reste dans le formulaire."""
    for message in erreur.messages:
        messages.error(request, message)


def _ip(request) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


def _page_devis(
    request, adhesion: Adhesion, devis: Devis, *, form_accord=None, form_refus=None
):
    return render(
        request,
        "devis/portail/devis.html",
        {
            "adhesion": adhesion,
            "collectivite": adhesion.collectivite,
            "devis": devis,
            "lignes": list(devis.lignes.all()),
            "emetteur": devis.emetteur_fige.get("nom") or devis.emetteur.nom,
            "autres_devis": selectors.autres_devis_emis(devis),
            "peut_signer": est_signataire(adhesion),
            "acceptable": devis.attend_reponse,
            "form_accord": form_accord
            or AccordPortailForm(avec_cle=bool(devis.lignes_de_cles())),
            "form_refus": form_refus or RefusPortailForm(),
        },
    )


@portail_requis
@require_GET
def devis_detail(request, cid: int, pk: int):
    adhesion = adhesion_ou_404(request.user, cid)
    devis = selectors.devis_du_portail_ou_404(adhesion.collectivite, pk)
    return _page_devis(request, adhesion, devis)


@portail_requis
@require_GET
def devis_pdf(request, cid: int, pk: int):
    """Le PDF conservé à l'émission, servi tel quel (jamais rendu à nouveau)."""
    adhesion = adhesion_ou_404(request.user, cid)
    devis = selectors.devis_du_portail_ou_404(adhesion.collectivite, pk)
    return reponse_fichier_prive(
        request, devis.pdf, sha256=devis.pdf_sha256, nom=f"{devis.numero}.pdf"
    )


@portail_requis
@require_POST
def devis_accepter(request, cid: int, pk: int):
    """Bon pour accord sur un devis : nom, qualité et engagement du signataire."""
    adhesion = adhesion_ou_404(request.user, cid)
    devis = selectors.devis_du_portail_ou_404(adhesion.collectivite, pk)
    signataire_requis(adhesion)
    form = AccordPortailForm(request.POST, avec_cle=bool(devis.lignes_de_cles()))
    if form.is_valid():
        try:
            devis = services.devis_accepter(
                devis=devis,
                signataire_nom=form.cleaned_data["signataire_nom"],
                signataire_qualite=form.cleaned_data["signataire_qualite"],
                par=request.user,
                canal=CANAL,
                ip=_ip(request),
                titulaire_cle=form.titulaire_cle,
            )
        except ValidationError as erreur:
            _signaler(request, erreur)
        else:
            messages.success(
                request,
                f"Votre bon pour accord sur le devis {devis.numero} est enregistré. "
                "Le CDG 62 en est informé.",
            )
            return redirect("portail:devis", cid=cid, pk=devis.pk)
    messages.error(request, "Le bon pour accord n'a pas été enregistré.")
    devis = selectors.devis_du_portail_ou_404(adhesion.collectivite, pk)
    return _page_devis(request, adhesion, devis, form_accord=form)


@portail_requis
@require_POST
def devis_refuser(request, cid: int, pk: int):
    """Refus d'un devis, avec son motif."""
    adhesion = adhesion_ou_404(request.user, cid)
    devis = selectors.devis_du_portail_ou_404(adhesion.collectivite, pk)
    signataire_requis(adhesion)
    form = RefusPortailForm(request.POST)
    if form.is_valid():
        try:
            devis = services.devis_refuser(
                devis=devis,
                motif=form.cleaned_data["motif"],
                par=request.user,
                canal=CANAL,
                ip=_ip(request),
            )
        except ValidationError as erreur:
            _signaler(request, erreur)
        else:
            messages.success(
                request,
                f"Votre refus du devis {devis.numero} est enregistré. "
                "Le CDG 62 en est informé.",
            )
            return redirect("portail:devis", cid=cid, pk=devis.pk)
    messages.error(request, "Le refus n'a pas été enregistré.")
    devis = selectors.devis_du_portail_ou_404(adhesion.collectivite, pk)
    return _page_devis(request, adhesion, devis, form_refus=form)


@portail_requis
@require_POST
def demande_accepter(request, cid: int, pk: int):
    """Bon pour accord commun sur tous les devis émis d'une demande."""
    adhesion = adhesion_ou_404(request.user, cid)
    demande = get_object_or_404(DemandeDevis, pk=pk, collectivite=adhesion.collectivite)
    signataire_requis(adhesion)
    form = AccordPortailForm(
        request.POST,
        prefix=f"demande-{demande.pk}",
        avec_cle=selectors.demande_avec_cles(demande),
    )
    if form.is_valid():
        try:
            acceptes = services.devis_accepter_demande(
                demande=demande,
                signataire_nom=form.cleaned_data["signataire_nom"],
                signataire_qualite=form.cleaned_data["signataire_qualite"],
                par=request.user,
                canal=CANAL,
                ip=_ip(request),
                titulaire_cle=form.titulaire_cle,
            )
        except ValidationError as erreur:
            _signaler(request, erreur)
        else:
            numeros = " et ".join(d.numero for d in acceptes)
            messages.success(
                request,
                f"Votre bon pour accord sur les devis {numeros} est enregistré. "
                "Le CDG 62 en est informé.",
            )
            return redirect("portail:collectivite", cid=cid)
    messages.error(request, "Le bon pour accord n'a pas été enregistré.")
    return page_collectivite(request, adhesion, formulaires={demande.pk: form})


# --- Demande de devis -------------------------------------------------------------


def _sans_prix(donnees: QueryDict) -> QueryDict:
    """La saisie du portail sans montant ni justification : une collectivité
    ne fixe jamais le prix d'une ligne « sur devis », le CDG l'établit."""
    copie = donnees.copy()
    for cle in list(copie):
        if cle.startswith(("prix_", "justification_")):
            del copie[cle]
    return copie


def _formulaire_demande(grille, collectivite: Collectivite, donnees=None, initial=None):
    """Le formulaire de demande du back office, collectivité fixée et sans
    aucun champ de prix saisi."""
    if donnees is not None:
        donnees = _sans_prix(donnees)
    form = DemandeDevisForm(
        donnees, grille=grille, collectivite_fixe=collectivite, initial=initial
    )
    form.fields["commentaire"].label = "Commentaire pour le CDG 62 (facultatif)"
    return form


def _apercu_portail(form) -> dict:
    """L'aperçu en direct (gabarit partagé avec le back office) : aucune ligne
    « sur devis » n'y reçoit de champ de prix, le CDG l'établit."""
    contexte = apercu_du_chiffrage(form, selectors.noms_des_emetteurs())
    for bloc in contexte["blocs"]:
        bloc["lignes"] = [(ligne, None) for ligne, _champs in bloc["lignes"]]
    contexte["champs_caches"] = []
    chiffrage = contexte["chiffrage"]
    contexte["prix_a_etablir"] = chiffrage is not None and any(
        d.sur_devis for d in chiffrage.devis
    )
    contexte["portail"] = True
    return contexte


@portail_requis
@require_http_methods(["GET", "POST"])
def demander(request, cid: int):
    """« Demander un devis » : le formulaire des prestations du back office, avec
    l'aperçu en direct ; la demande part au CDG à l'état *demandée*."""
    adhesion = adhesion_ou_404(request.user, cid)
    collectivite = adhesion.collectivite
    try:
        grille = instantane_en_vigueur()
    except AucuneGrilleEnVigueur as erreur:
        return render(
            request,
            "devis/portail/demander.html",
            {"collectivite": collectivite, "erreur_grille": erreur.erreurs},
        )
    if request.method == "POST":
        form = _formulaire_demande(grille, collectivite, request.POST)
        if request.POST.get("action") == "envoyer" and form.is_valid():
            services.demande_creer_depuis_portail(
                collectivite=collectivite,
                lignes=form.lignes,
                commentaire=form.cleaned_data["commentaire"],
                par=request.user,
            )
            messages.success(request, "Votre demande a été transmise au CDG 62.")
            return redirect("portail:collectivite", cid=cid)
    else:
        # « Demander ce devis » du simulateur public : quantités pré-remplies.
        initial = {
            cle: valeur
            for cle, valeur in request.GET.items()
            if cle.startswith(("quantite_", "intervention_"))
        }
        form = _formulaire_demande(grille, collectivite, initial=initial)
    return render(
        request,
        "devis/portail/demander.html",
        {"collectivite": collectivite, "form": form, **_apercu_portail(form)},
    )


@portail_requis
@require_POST
def chiffrage(request, cid: int):
    """Aperçu en direct (htmx) : mêmes lignes et totaux que ``/api/chiffrage``,
    pour la collectivité du portail."""
    adhesion = adhesion_ou_404(request.user, cid)
    try:
        grille = instantane_en_vigueur()
    except AucuneGrilleEnVigueur as erreur:
        return render(
            request,
            "devis/portail/_chiffrage.html",
            {"erreur_grille": erreur.erreurs, "htmx": True, "portail": True},
        )
    form = _formulaire_demande(grille, adhesion.collectivite, request.POST)
    return render(
        request,
        "devis/portail/_chiffrage.html",
        {"form": form, "htmx": True, **_apercu_portail(form)},
    )
