"""Devis dans le back office des agents du CDG (``/gestion/devis/``).

Vues courtes : aide d'accès → formulaire → service → redirection ou rendu, avec
un message en français. Une erreur métier levée par un service
(``ValidationError``) devient un message d'erreur, jamais une erreur 500.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from config.pagination import PaginateurPlafonne
from config.tableurs import export_demande, exporter, requete_sans
from conventions.access import agent_requis
from conventions.completude import manques_destinataire, manques_emetteur
from conventions.fichiers import reponse_fichier_prive
from conventions.models import Collectivite
from devis import exports, selectors, services
from devis.chiffrage_formulaire import apercu_du_chiffrage
from devis.filters import DevisFilter
from devis.forms import (
    AcceptationForm,
    AnnulationForm,
    DemandeDevisForm,
    RefusForm,
    identifiant_ou_none,
    initial_depuis_demande,
)
from devis.models import DemandeDevis, Devis, DevisVerrouille
from devis.pdf import devis_rendre_pdf
from tarifs.selectors import AucuneGrilleEnVigueur, instantane_en_vigueur

PAR_PAGE = 25


def _signaler(request, erreur: ValidationError) -> None:
    for message in erreur.messages:
        messages.error(request, message)


def _grille_ou_message(request):
    """L'instantané de la grille en vigueur, ou ``None`` avec un message."""
    try:
        return instantane_en_vigueur()
    except AucuneGrilleEnVigueur as exc:
        for message in exc.erreurs:
            messages.error(request, message)
        return None


# --- Demande de devis : création et modification ----------------------------


def _rendre_formulaire(request, form, *, demande=None, status=200):
    return render(
        request,
        "devis/gestion/demande_form.html",
        {
            "form": form,
            "demande": demande,
            "url_action": request.path,
            **apercu_du_chiffrage(form, selectors.noms_des_emetteurs()),
        },
        status=status,
    )


def _apres_enregistrement(request, liste: list[Devis]):
    if not liste:
        messages.warning(
            request,
            "Aucun devis n'a été créé : aucune ligne n'a de montant à facturer.",
        )
        return redirect("devis:liste")
    noms = ", ".join(devis.emetteur.nom for devis in liste)
    if len(liste) == 1:
        texte = f"Brouillon de devis enregistré pour {noms}."
    else:
        texte = f"{len(liste)} brouillons de devis enregistrés : {noms}."
    messages.success(request, texte)
    return redirect("devis:detail", pk=liste[0].pk)


@agent_requis
def nouveau(request):
    """Nouvelle demande de devis : un brouillon par émetteur qui a quelque
    chose à facturer (§6)."""
    grille = _grille_ou_message(request)
    if grille is None:
        return redirect("devis:liste")
    if request.method != "POST":
        initial = {}
        collectivite_id = identifiant_ou_none(request.GET.get("collectivite"))
        if collectivite_id and Collectivite.objects.filter(pk=collectivite_id).exists():
            initial["collectivite"] = collectivite_id
        form = DemandeDevisForm(grille=grille, initial=initial)
        return _rendre_formulaire(request, form)

    form = DemandeDevisForm(request.POST, grille=grille)
    if request.POST.get("action") != "enregistrer" or not form.is_valid():
        return _rendre_formulaire(request, form)
    try:
        liste = services.devis_creer_brouillons(
            collectivite=form.cleaned_data["collectivite"],
            lignes=form.lignes,
            prix_manuels=form.prix_manuels or None,
            par=request.user,
            commentaire=form.cleaned_data["commentaire"],
        )
    except ValidationError as exc:
        form.add_error(None, exc)
        return _rendre_formulaire(request, form)
    return _apres_enregistrement(request, liste)


@agent_requis
def demande_modifier(request, pk: int):
    """Modifier une demande tant que ses devis sont des brouillons (ou chiffrer
    une demande reçue du portail, qui n'a pas encore de devis)."""
    demande = selectors.demande_avec_brouillons(pk)
    brouillons = list(demande.devis.all())
    if any(not devis.est_brouillon for devis in brouillons):
        messages.error(
            request,
            "Cette demande a un devis émis : ses devis ne se modifient plus. "
            "Dupliquez-le pour en établir un nouveau.",
        )
        return redirect("devis:detail", pk=brouillons[0].pk)
    grille = _grille_ou_message(request)
    if grille is None:
        return redirect("devis:liste")
    if request.method != "POST":
        form = DemandeDevisForm(
            grille=grille,
            collectivite_fixe=demande.collectivite,
            initial=initial_depuis_demande(demande),
        )
        return _rendre_formulaire(request, form, demande=demande)

    form = DemandeDevisForm(
        request.POST, grille=grille, collectivite_fixe=demande.collectivite
    )
    if request.POST.get("action") != "enregistrer" or not form.is_valid():
        return _rendre_formulaire(request, form, demande=demande)
    try:
        if brouillons:
            liste = services.devis_modifier_brouillons(
                demande=demande,
                lignes=form.lignes,
                prix_manuels=form.prix_manuels or None,
                par=request.user,
            )
        else:
            liste = services.devis_creer_brouillons(
                collectivite=demande.collectivite,
                lignes=form.lignes,
                prix_manuels=form.prix_manuels or None,
                par=request.user,
                demande=demande,
                commentaire=demande.commentaire,
            )
    except ValidationError as exc:
        form.add_error(None, exc)
        return _rendre_formulaire(request, form, demande=demande)
    return _apres_enregistrement(request, liste)


@agent_requis
@require_POST
def chiffrage(request):
    """Aperçu en direct (htmx) : les lignes et les trois totaux par émetteur,
    calculés par le même moteur que ``/api/chiffrage``."""
    try:
        grille = instantane_en_vigueur()
    except AucuneGrilleEnVigueur as exc:
        return render(
            request,
            "devis/gestion/_chiffrage.html",
            {"erreur_grille": exc.erreurs, "htmx": True},
        )
    collectivite_fixe = None
    demande_id = identifiant_ou_none(request.POST.get("demande"))
    if demande_id:
        demande = DemandeDevis.objects.filter(pk=demande_id).first()
        collectivite_fixe = demande.collectivite if demande else None
    form = DemandeDevisForm(
        request.POST, grille=grille, collectivite_fixe=collectivite_fixe
    )
    return render(
        request,
        "devis/gestion/_chiffrage.html",
        {
            "form": form,
            "htmx": True,
            **apercu_du_chiffrage(form, selectors.noms_des_emetteurs()),
        },
    )


# --- Liste et détail ----------------------------------------------------------


@agent_requis
@require_GET
def liste(request):
    """Tous les devis, filtrés et paginés (25 par page)."""
    filtre = DevisFilter(request.GET or None, queryset=selectors.devis_liste())
    format = export_demande(request, filtre)
    if format:
        aujourdhui = timezone.localdate()
        return exporter(
            filtre.qs,
            exports.colonnes_devis(aujourdhui),
            format=format,
            nom=f"devis-{aujourdhui:%Y-%m-%d}",
            titre="Devis",
        )
    page = PaginateurPlafonne(filtre.qs, PAR_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "devis/gestion/liste.html",
        {
            "filtre": filtre,
            "page": page,
            "parametres": requete_sans(request, "page", "export"),
        },
    )


def _contexte_detail(devis: Devis, **formulaires) -> dict:
    contexte = {
        "devis": devis,
        "lignes": list(devis.lignes.all()),
        "autres_devis": [d for d in devis.demande.devis.all() if d.pk != devis.pk],
        "journal_demande": selectors.journal_de_la_demande(devis.demande),
        "annulation_form": AnnulationForm(),
        "acceptation_form": AcceptationForm(avec_cle=bool(devis.lignes_de_cles())),
        "refus_form": RefusForm(),
        "manques": (
            manques_emetteur(devis.emetteur) + manques_destinataire(devis.collectivite)
            if devis.est_brouillon
            else []
        ),
    }
    contexte.update(formulaires)
    return contexte


@agent_requis
@require_GET
def detail(request, pk: int):
    devis = selectors.devis_detail(pk)
    return render(request, "devis/gestion/detail.html", _contexte_detail(devis))


@agent_requis
@require_GET
def pdf(request, pk: int):
    """Le PDF conservé d'un devis émis, jamais rendu à nouveau ; 404 pour un
    brouillon (voir l'aperçu)."""
    devis = get_object_or_404(Devis, pk=pk)
    if devis.est_brouillon:
        raise Http404("Ce devis n'a pas de PDF émis.")
    return reponse_fichier_prive(
        request, devis.pdf, sha256=devis.pdf_sha256, nom=f"{devis.numero}.pdf"
    )


@agent_requis
@require_GET
def apercu(request, pk: int):
    """Aperçu PDF d'un brouillon, marqué « PROJET — non émis »."""
    devis = get_object_or_404(Devis.objects.select_related("emetteur"), pk=pk)
    if not devis.est_brouillon:
        return redirect("devis:pdf", pk=devis.pk)
    contenu = devis_rendre_pdf(devis, projet=True)
    reponse = HttpResponse(contenu, content_type="application/pdf")
    reponse["Content-Disposition"] = (
        f'inline; filename="projet-devis-{devis.pk}-{devis.emetteur.code}.pdf"'
    )
    return reponse


# --- Actions sur un devis (POST, retour à la page avec un message) -----------


def _executer(request, appel, succes) -> bool:
    """Appelle le service ; son refus (``ValidationError`` ou devis verrouillé)
    devient un message d'erreur, sa réussite un message de succès."""
    try:
        resultat = appel()
    except ValidationError as exc:
        _signaler(request, exc)
        return False
    except DevisVerrouille as exc:
        messages.error(request, str(exc))
        return False
    messages.success(request, succes(resultat) if callable(succes) else succes)
    return True


def _detail_avec_erreurs(request, pk: int, **formulaires):
    """La page du devis rendue à nouveau : erreurs affichées, saisie conservée."""
    devis = selectors.devis_detail(pk)
    messages.error(request, "Corrigez le formulaire ci-dessous.")
    return render(
        request,
        "devis/gestion/detail.html",
        _contexte_detail(devis, **formulaires),
        status=400,
    )


@agent_requis
@require_POST
def supprimer(request, pk: int):
    devis = get_object_or_404(Devis, pk=pk)
    if _executer(
        request,
        lambda: services.devis_supprimer_brouillon(devis=devis, par=request.user),
        "Le brouillon de devis a été supprimé.",
    ):
        return redirect("devis:liste")
    return redirect("devis:detail", pk=pk)


@agent_requis
@require_POST
def emettre(request, pk: int):
    devis = get_object_or_404(Devis, pk=pk)
    _executer(
        request,
        lambda: services.devis_emettre(devis=devis, par=request.user),
        lambda emis: f"Devis émis sous le numéro {emis.numero}.",
    )
    return redirect("devis:detail", pk=pk)


@agent_requis
@require_POST
def annuler(request, pk: int):
    devis = get_object_or_404(Devis, pk=pk)
    form = AnnulationForm(request.POST)
    if not form.is_valid():
        return _detail_avec_erreurs(request, pk, annulation_form=form)
    _executer(
        request,
        lambda: services.devis_annuler(
            devis=devis, motif=form.cleaned_data["motif"], par=request.user
        ),
        "Le devis a été annulé ; il garde son numéro.",
    )
    return redirect("devis:detail", pk=pk)


@agent_requis
@require_POST
def accepter(request, pk: int):
    """Acceptation papier, saisie par un agent (nom et qualité du signataire)."""
    devis = get_object_or_404(Devis, pk=pk)
    form = AcceptationForm(request.POST, avec_cle=bool(devis.lignes_de_cles()))
    if not form.is_valid():
        return _detail_avec_erreurs(request, pk, acceptation_form=form)
    _executer(
        request,
        lambda: services.devis_accepter(
            devis=devis,
            signataire_nom=form.cleaned_data["signataire_nom"],
            signataire_qualite=form.cleaned_data["signataire_qualite"],
            par=request.user,
            canal="papier",
            titulaire_cle=form.titulaire_cle,
        ),
        "L'acceptation du devis a été enregistrée.",
    )
    return redirect("devis:detail", pk=pk)


@agent_requis
@require_POST
def refuser(request, pk: int):
    devis = get_object_or_404(Devis, pk=pk)
    form = RefusForm(request.POST)
    if not form.is_valid():
        return _detail_avec_erreurs(request, pk, refus_form=form)
    _executer(
        request,
        lambda: services.devis_refuser(
            devis=devis,
            motif=form.cleaned_data["motif"],
            par=request.user,
            canal="papier",
        ),
        "Le refus du devis a été enregistré.",
    )
    return redirect("devis:detail", pk=pk)


@agent_requis
@require_POST
def reviser(request, pk: int):
    """Un brouillon qui remplacera ce devis émis à son émission ; on y arrive."""
    devis = get_object_or_404(Devis, pk=pk)
    revisions: list[Devis] = []

    def appel():
        revisions.append(services.devis_reviser(devis=devis, par=request.user))

    if _executer(
        request,
        appel,
        f"Révision du devis {devis} : brouillon rechiffré, qui le remplacera à son "
        "émission.",
    ):
        return redirect("devis:detail", pk=revisions[0].pk)
    return redirect("devis:detail", pk=pk)


@agent_requis
@require_POST
def dupliquer(request, pk: int):
    """Nouveau brouillon chiffré sur la grille en vigueur aujourd'hui ; on
    arrive sur le nouveau brouillon."""
    devis = get_object_or_404(Devis, pk=pk)
    nouveaux: list[Devis] = []

    def appel():
        nouveaux.extend(services.devis_dupliquer(devis=devis, par=request.user))

    if (
        _executer(
            request,
            appel,
            f"Devis {devis} dupliqué : nouveau brouillon chiffré sur la grille "
            "en vigueur aujourd'hui.",
        )
        and nouveaux
    ):
        return redirect("devis:detail", pk=nouveaux[0].pk)
    return redirect("devis:detail", pk=pk)


@agent_requis
@require_POST
def envoyer(request, pk: int):
    devis = get_object_or_404(Devis, pk=pk)
    _executer(
        request,
        lambda: services.devis_envoyer(devis=devis, par=request.user),
        lambda envoi: (
            f"L'envoi du devis par courriel à {envoi.destinataires} est lancé : "
            "suivez-le dans « Envois par courriel »."
        ),
    )
    return redirect("devis:detail", pk=pk)
