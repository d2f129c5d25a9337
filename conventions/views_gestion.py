"""Back office des agents du CDG : collectivités et conventions (``/gestion/``).

Chaque vue : contrôle d'accès (``agent_requis``) → formulaire → service →
redirection avec un message, ou nouvel affichage de la page avec les erreurs.
Une saisie refusée n'aboutit jamais à une erreur 500.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from abonnements import cles
from abonnements import selectors as abonnements_selectors
from config.pagination import PaginateurPlafonne
from config.tableurs import export_demande, exporter
from conventions import exports, selectors, services
from conventions.access import agent_requis, collectivites_visibles
from conventions.categories import categorie_expliquee
from conventions.completude import manques_convention
from conventions.fichiers import reponse_convention_pdf, reponse_scan
from conventions.filters import CollectiviteFilter, ConventionFilter
from conventions.formats import format_date
from conventions.forms import (
    CollectiviteForm,
    ExpirationForm,
    ForcageCategorieForm,
    ResiliationForm,
    ScanForm,
    SignatureForm,
)
from conventions.models import Collectivite, Convention, Organisme, Signature
from conventions.views_statistiques import graphiques_du_tableau_de_bord
from devis import selectors as devis_selectors
from tarifs.selectors import grille_en_vigueur, grille_instantane

PAR_PAGE = 25
Statut = Convention.Statut
EN_PREPARATION = selectors.EN_PREPARATION


# --- Outils ---------------------------------------------------------------


def _instantane_du_jour():
    """Instantané de la grille en vigueur (gardé en mémoire), ou ``None``."""
    grille = grille_en_vigueur()
    return grille_instantane(grille) if grille else None


def _texte(erreur: ValidationError) -> str:
    return " ".join(erreur.messages)


def _page(request, liste, parametre: str = "page"):
    """Page demandée et la chaîne de requête à reprendre dans les liens."""
    page = PaginateurPlafonne(liste, PAR_PAGE).get_page(request.GET.get(parametre))
    requete = request.GET.copy()
    requete.pop(parametre, None)
    requete.pop("export", None)  # un lien de la page ne relance pas un export
    return page, requete.urlencode()


def _manquantes(convention: Convention) -> list[str]:
    return [Signature.Partie(p).label for p in services.parties_manquantes(convention)]


# --- Tableau de bord ------------------------------------------------------


@agent_requis
def tableau_de_bord(request):
    """Ce qui attend un geste : conventions en préparation (les plus anciennes
    d'abord, avec les signatures manquantes) et les effectifs par état ; puis
    les chiffres et graphiques (``conventions.views_statistiques``)."""
    en_attente = list(
        Convention.objects.filter(statut__in=EN_PREPARATION)
        .select_related("collectivite")
        .prefetch_related("signatures")
        .order_by("creee_le", "pk")[:50]
    )
    for convention in en_attente:
        convention.manquantes = _manquantes(convention)
    effectifs = dict(
        Convention.objects.values_list("statut").annotate(n=Count("pk")).order_by()
    )
    # Par les conventions (index sur la collectivité), plutôt qu'une sonde
    # NOT EXISTS par collectivité.
    nb_collectivites = Collectivite.objects.count()
    sous_convention = (
        Convention.objects.filter(statut__in=[*EN_PREPARATION, Statut.SIGNEE])
        .values("collectivite_id")
        .distinct()
        .count()
    )
    collectivites = {
        "total": nb_collectivites,
        "sans_convention": nb_collectivites - sous_convention,
    }
    return render(
        request,
        "conventions/gestion/tableau_de_bord.html",
        {
            "en_attente": en_attente,
            "effectifs": [(s, effectifs.get(s.value, 0)) for s in Statut],
            "nb_en_preparation": sum(effectifs.get(s, 0) for s in EN_PREPARATION),
            "sans_convention": collectivites["sans_convention"],
            "nb_collectivites": collectivites["total"],
            "devis_bord": devis_selectors.tableau_de_bord(),
            "cles_bord": list(cles.cles_a_renouveler()[:20]),
            # Chiffres et graphiques (une requête groupée par figure).
            "graphiques": graphiques_du_tableau_de_bord(),
        },
    )


# --- Collectivités --------------------------------------------------------


@agent_requis
def collectivite_liste(request):
    grille = _instantane_du_jour()
    filtre = CollectiviteFilter(
        request.GET or None,
        queryset=collectivites_visibles(request.user)
        .prefetch_related(selectors.conventions_recentes())
        .order_by("nom", "pk"),
        grille=grille,
    )
    format = export_demande(request, filtre)
    if format:
        return exporter(
            exports.collectivites_a_exporter(filtre.qs),
            exports.colonnes_collectivites(grille),
            format=format,
            nom=f"collectivites-{timezone.localdate():%Y-%m-%d}",
            titre="Collectivités",
        )
    page, requete = _page(request, filtre.qs)
    lignes = [
        {
            "collectivite": c,
            "categorie": categorie_expliquee(c, grille)[0],
            **selectors.situation(list(c.conventions.all())),
        }
        for c in page
    ]
    return render(
        request,
        "conventions/gestion/collectivite_liste.html",
        {"filtre": filtre, "page": page, "lignes": lignes, "requete": requete},
    )


@agent_requis
def collectivite_creer(request):
    form = CollectiviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            collectivite = services.collectivite_creer(
                donnees=form.cleaned_data, par=request.user
            )
        except ValidationError as erreur:
            form.add_error(None, erreur)
        else:
            messages.success(request, f"La collectivité {collectivite} a été créée.")
            return redirect("gestion:collectivite", pk=collectivite.pk)
    return render(
        request,
        "conventions/gestion/collectivite_form.html",
        {"form": form, "titre": "Nouvelle collectivité"},
    )


def _collectivite_ou_404(request, pk: int) -> Collectivite:
    return get_object_or_404(
        collectivites_visibles(request.user).select_related("epci"), pk=pk
    )


@agent_requis
def collectivite_modifier(request, pk: int):
    collectivite = _collectivite_ou_404(request, pk)
    nom = collectivite.nom
    form = CollectiviteForm(request.POST or None, instance=collectivite)
    if request.method == "POST" and form.is_valid():
        try:
            modifies = services.collectivite_modifier(
                collectivite=collectivite, donnees=form.cleaned_data, par=request.user
            )
        except ValidationError as erreur:
            form.add_error(None, erreur)
        else:
            if modifies:
                messages.success(request, "Les modifications ont été enregistrées.")
            else:
                messages.info(request, "Aucune modification à enregistrer.")
            return redirect("gestion:collectivite", pk=pk)
    return render(
        request,
        "conventions/gestion/collectivite_form.html",
        {"form": form, "titre": f"Modifier {nom}", "collectivite_id": pk, "nom": nom},
    )


def _page_collectivite(request, collectivite: Collectivite, *, form_forcage=None):
    grille = _instantane_du_jour()
    categorie, explication = categorie_expliquee(collectivite, grille)
    conventions = list(
        collectivite.conventions.select_related("grille", "creee_par")
        .prefetch_related("signatures")
        .order_by("-creee_le", "-pk")
    )
    journaux = selectors.journaux_des_conventions(collectivite)
    for convention in conventions:
        convention.journal = journaux.pop(convention.pk, [])
        convention.manquantes = _manquantes(convention)
    # Ce qui reste : des brouillons supprimés, dont l'historique demeure.
    supprimees = [
        {"pk": pk, "journal": lignes} for pk, lignes in sorted(journaux.items())
    ]
    codes = grille.codes_categories if grille else ()
    if form_forcage is None:
        form_forcage = ForcageCategorieForm(
            codes=codes, initial={"categorie": categorie}
        )
    situation = selectors.situation(conventions)
    communes_epci = None
    if collectivite.type == Collectivite.Type.EPCI:
        communes_epci = [
            {
                "collectivite": c,
                "categorie": categorie_expliquee(c, grille)[0],
                **selectors.situation(list(c.conventions.all())),
            }
            for c in selectors.communes_de_l_epci(collectivite)
        ]
    return render(
        request,
        "conventions/gestion/collectivite_detail.html",
        {
            "communes_epci": communes_epci,
            "collectivite": collectivite,
            "categorie": categorie,
            "explication": explication,
            "grille": grille,
            "conventions": conventions,
            "supprimees": supprimees,
            **situation,
            "peut_creer_convention": grille is not None
            and situation["en_preparation"] is None,
            "adhesions": selectors.adhesions_de_la_collectivite(collectivite),
            "journal_rattachements": selectors.journal_des_rattachements(collectivite),
            "journal": selectors.journal_collectivite(collectivite),
            "form_forcage": form_forcage,
            "devis_liste": list(devis_selectors.devis_de_la_collectivite(collectivite)),
            "inventaire": abonnements_selectors.inventaire_de(collectivite),
        },
    )


@agent_requis
def collectivite_detail(request, pk: int):
    return _page_collectivite(request, _collectivite_ou_404(request, pk))


@agent_requis
@require_POST
def collectivite_categorie(request, pk: int):
    """Forcer la catégorie (motif obligatoire) ou retirer le forçage."""
    collectivite = _collectivite_ou_404(request, pk)
    if request.POST.get("action") == "retirer":
        try:
            services.collectivite_retirer_forcage(
                collectivite=collectivite, par=request.user
            )
        except ValidationError as erreur:
            messages.error(request, _texte(erreur))
        else:
            messages.success(
                request,
                "Le forçage est retiré : la catégorie suit de nouveau la grille.",
            )
        return redirect("gestion:collectivite", pk=pk)

    form = ForcageCategorieForm(request.POST, codes=services.codes_categories())
    if form.is_valid():
        try:
            services.collectivite_forcer_categorie(
                collectivite=collectivite,
                categorie=form.cleaned_data["categorie"],
                motif=form.cleaned_data["motif"],
                par=request.user,
            )
        except ValidationError as erreur:
            form.add_error(None, erreur)
        else:
            messages.success(
                request,
                f"La catégorie est forcée à {form.cleaned_data['categorie']}.",
            )
            return redirect("gestion:collectivite", pk=pk)
    messages.error(request, "La catégorie n'a pas été modifiée : voir le formulaire.")
    return _page_collectivite(request, collectivite, form_forcage=form)


@agent_requis
@require_POST
def collectivite_convention_creer(request, pk: int):
    collectivite = _collectivite_ou_404(request, pk)
    try:
        convention = services.convention_creer(
            collectivite=collectivite, par=request.user
        )
    except ValidationError as erreur:
        messages.error(request, _texte(erreur))
        return redirect("gestion:collectivite", pk=pk)
    messages.success(
        request,
        f"Convention n°{convention.pk} créée (brouillon) avec la grille "
        f"{convention.grille.reference} en annexe.",
    )
    return redirect("gestion:convention", pk=convention.pk)


# --- Conventions ----------------------------------------------------------


def _conventions_visibles(request):
    return Convention.objects.filter(
        collectivite__in=collectivites_visibles(request.user)
    )


def _convention_ou_404(request, pk: int) -> Convention:
    return get_object_or_404(
        _conventions_visibles(request).select_related(
            "collectivite", "grille", "creee_par"
        ),
        pk=pk,
    )


@agent_requis
def convention_liste(request):
    filtre = ConventionFilter(
        request.GET or None,
        queryset=_conventions_visibles(request)
        .select_related("collectivite", "grille")
        .prefetch_related("signatures")
        .order_by("-creee_le", "-pk"),
    )
    format = export_demande(request, filtre)
    if format:
        return exporter(
            exports.conventions_a_exporter(filtre.qs),
            exports.COLONNES_CONVENTIONS,
            format=format,
            nom=f"conventions-{timezone.localdate():%Y-%m-%d}",
            titre="Conventions",
        )
    page, requete = _page(request, filtre.qs)
    for convention in page:
        convention.manquantes = _manquantes(convention)
    return render(
        request,
        "conventions/gestion/convention_liste.html",
        {"filtre": filtre, "page": page, "requete": requete},
    )


def _page_convention(request, convention: Convention, **formulaires):
    """La fiche d'une convention ; ``formulaires`` remplace un formulaire vierge
    par sa version saisie (avec ses erreurs) quand une action a été refusée."""
    signatures = {s.partie: s for s in convention.signatures.all()}
    manquantes = [p for p in Signature.Partie.values if p not in signatures]
    organismes = {o.code: o for o in Organisme.objects.all()}
    lignes_signature = [
        {
            "partie": partie,
            "signature": signatures.get(partie.value),
            "organisme": organismes.get(partie.value),
        }
        for partie in Signature.Partie
    ]
    aujourdhui = timezone.localdate()
    contexte = {
        "convention": convention,
        "collectivite": convention.collectivite,
        "lignes_signature": lignes_signature,
        "manquantes": [Signature.Partie(p).label for p in manquantes],
        "peut_envoyer": services.transition_permise(
            convention.statut, Statut.EN_SIGNATURE
        ),
        "peut_signer": services.action_permise(convention, "signer") and manquantes,
        "peut_deposer_scan": services.action_permise(convention, "deposer_scan"),
        "peut_supprimer": services.action_permise(convention, "supprimer"),
        "peut_resilier": services.transition_permise(
            convention.statut, Statut.RESILIEE
        ),
        "peut_expirer": services.transition_permise(convention.statut, Statut.EXPIREE),
        "form_signature": SignatureForm(
            parties=manquantes, initial={"date": aujourdhui}
        ),
        "form_scan": ScanForm(),
        "form_resiliation": ResiliationForm(initial={"date": aujourdhui}),
        "form_expiration": ExpirationForm(initial={"date": aujourdhui}),
        "journal": selectors.journal_convention(convention),
        "manques": (
            manques_convention(
                convention.collectivite,
                convention.termes or selectors.termes_en_vigueur(),
                organismes,
            )
            if convention.statut in EN_PREPARATION
            else []
        ),
    }
    contexte.update(formulaires)
    return render(request, "conventions/gestion/convention_detail.html", contexte)


@agent_requis
def convention_detail(request, pk: int):
    return _page_convention(request, _convention_ou_404(request, pk))


def _refus(request, convention, erreur: ValidationError, *, cle=None, form=None):
    """Action refusée par la règle métier : le message en tête de page ; s'il y a
    un formulaire, la fiche est réaffichée avec la saisie conservée, sinon
    retour sur la fiche."""
    messages.error(request, _texte(erreur))
    if form is None:
        return redirect("gestion:convention", pk=convention.pk)
    return _page_convention(request, convention, **{cle: form})


def _formulaire_refuse(request, convention, cle: str, form):
    messages.error(request, "L'action n'a pas été enregistrée : voir le formulaire.")
    return _page_convention(request, convention, **{cle: form})


def _succes(request, convention, message: str):
    messages.success(request, message)
    return redirect("gestion:convention", pk=convention.pk)


@agent_requis
@require_POST
def convention_envoyer(request, pk: int):
    convention = _convention_ou_404(request, pk)
    try:
        services.convention_envoyer_en_signature(
            convention=convention, par=request.user
        )
    except ValidationError as erreur:
        return _refus(request, convention, erreur)
    return _succes(request, convention, "La convention est envoyée en signature.")


@agent_requis
@require_POST
def convention_signer(request, pk: int):
    convention = _convention_ou_404(request, pk)
    form = SignatureForm(request.POST, parties=services.parties_manquantes(convention))
    if not form.is_valid():
        return _formulaire_refuse(request, convention, "form_signature", form)
    try:
        convention = services.convention_signer(
            convention=convention, par=request.user, **form.cleaned_data
        )
    except ValidationError as erreur:
        return _refus(request, convention, erreur, cle="form_signature", form=form)
    partie = Signature.Partie(form.cleaned_data["partie"]).label
    message = f"Signature enregistrée : {partie}."
    if convention.statut == Statut.SIGNEE:
        message += (
            " Les trois parties ont signé : la convention est en vigueur depuis le "
            f"{format_date(convention.date_effet)}."
        )
    return _succes(request, convention, message)


@agent_requis
@require_POST
def convention_deposer_scan(request, pk: int):
    convention = _convention_ou_404(request, pk)
    form = ScanForm(request.POST, request.FILES)
    if not form.is_valid():
        return _formulaire_refuse(request, convention, "form_scan", form)
    try:
        services.convention_deposer_scan(
            convention=convention,
            fichier=form.cleaned_data["fichier"],
            par=request.user,
        )
    except ValidationError as erreur:
        return _refus(request, convention, erreur, cle="form_scan", form=form)
    return _succes(request, convention, "Le scan signé a été déposé.")


@agent_requis
def convention_scan(request, pk: int):
    """Le scan signé, servi en pièce jointe depuis le stockage privé."""
    return reponse_scan(request, _convention_ou_404(request, pk))


@agent_requis
def convention_pdf(request, pk: int):
    """La convention pré-remplie (identités, articles, grille annexée), en PDF."""
    convention = _convention_ou_404(request, pk)
    return reponse_convention_pdf(request, convention)


@agent_requis
@require_POST
def convention_resilier(request, pk: int):
    convention = _convention_ou_404(request, pk)
    form = ResiliationForm(request.POST)
    if not form.is_valid():
        return _formulaire_refuse(request, convention, "form_resiliation", form)
    try:
        services.convention_resilier(
            convention=convention, par=request.user, **form.cleaned_data
        )
    except ValidationError as erreur:
        return _refus(request, convention, erreur, cle="form_resiliation", form=form)
    date = format_date(form.cleaned_data["date"])
    return _succes(request, convention, f"La convention est résiliée au {date}.")


@agent_requis
@require_POST
def convention_expirer(request, pk: int):
    convention = _convention_ou_404(request, pk)
    form = ExpirationForm(request.POST)
    if not form.is_valid():
        return _formulaire_refuse(request, convention, "form_expiration", form)
    try:
        services.convention_expirer(
            convention=convention, par=request.user, date=form.cleaned_data["date"]
        )
    except ValidationError as erreur:
        return _refus(request, convention, erreur, cle="form_expiration", form=form)
    date = format_date(form.cleaned_data["date"])
    return _succes(request, convention, f"La convention a pris fin le {date}.")


@agent_requis
@require_POST
def convention_supprimer(request, pk: int):
    convention = _convention_ou_404(request, pk)
    collectivite_id = convention.collectivite_id
    try:
        services.convention_supprimer_brouillon(convention=convention, par=request.user)
    except ValidationError as erreur:
        messages.error(request, _texte(erreur))
        return redirect("gestion:convention", pk=pk)
    messages.success(request, f"Le brouillon n°{pk} a été supprimé.")
    return redirect(reverse("gestion:collectivite", kwargs={"pk": collectivite_id}))
