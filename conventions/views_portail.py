"""Portail des secrétaires de mairie (``/portail/``).

Règles d'accès (domaine §1, §6) :

- anonyme → page de connexion ; agent ou administrateur du CDG → son back
  office (``/gestion/``) ;
- un utilisateur ne voit que les collectivités de ses rattachements : une autre
  collectivité, ou un objet qui n'est pas le sien, → 404 ;
- les brouillons de devis n'existent pas pour le portail (404) ;
- seul un membre *signataire* donne un bon pour accord ou refuse un devis ;
  un membre *consultation* reçoit un 403.

Chaque vue : accès → formulaire → service → redirection avec un message, ou
nouvel affichage de la page avec la saisie et les erreurs en français.
"""

from __future__ import annotations

import logging

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Prefetch
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.text import slugify
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from conventions import cache_portail, notifications
from conventions.access import adhesion_ou_404, portail_requis
from conventions.categories import categorie_expliquee
from conventions.fichiers import reponse_fichier_prive
from conventions.models import Adhesion, Collectivite, Convention
from devis import selectors as devis_selectors
from devis import services as devis_services
from devis.chiffrage_formulaire import grille_du_jour
from devis.forms import DemandeDevisForm
from devis.forms_portail import AccordPortailForm, RefusPortailForm
from devis.models import DemandeDevis, Devis, LigneDevis
from devis.selectors import q_en_attente
from devis.services_portail import demande_creer_depuis_portail
from tarifs import calcul
from tarifs.models import Emetteur

journal = logging.getLogger(__name__)

Statut = Devis.Statut
CANAL = "portail"
MESSAGE_SANS_COLLECTIVITE = (
    "Votre compte n'est rattaché à aucune collectivité : contactez le CDG 62."
)
MESSAGE_RESERVE_SIGNATAIRE = (
    "Seul un membre signataire de la collectivité peut répondre à un devis."
)


# --- Accès ------------------------------------------------------------------


def _signataire_requis(adhesion: Adhesion) -> None:
    if adhesion.role != Adhesion.Role.SIGNATAIRE:
        raise PermissionDenied(MESSAGE_RESERVE_SIGNATAIRE)


def _devis_ou_404(collectivite: Collectivite, pk: int) -> Devis:
    """Un devis émis (jamais un brouillon) de la collectivité, ou 404."""
    return get_object_or_404(
        Devis.objects.select_related("emetteur", "collectivite", "demande")
        .prefetch_related(
            Prefetch("lignes", queryset=LigneDevis.objects.order_by("ordre", "id"))
        )
        .exclude(statut=Statut.BROUILLON),
        pk=pk,
        collectivite=collectivite,
    )


def _signaler(request, erreur: ValidationError) -> None:
    """Le refus d'un service, en message : la saisie reste dans le formulaire."""
    for message in erreur.messages:
        messages.error(request, message)


def _ip(request) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


# --- Lectures d'affichage -----------------------------------------------------


def _grille_ou_none() -> calcul.Grille | None:
    try:
        return grille_du_jour()
    except calcul.ErreurChiffrage:
        return None


def _convention_courante(conventions: list[Convention]) -> Convention | None:
    """La convention en vigueur, sinon celle en préparation, sinon la dernière."""
    for statuts in (
        (Convention.Statut.SIGNEE,),
        (Convention.Statut.BROUILLON, Convention.Statut.EN_SIGNATURE),
    ):
        for convention in conventions:
            if convention.statut in statuts:
                return convention
    return conventions[0] if conventions else None


def _acceptable(devis: Devis) -> bool:
    """Émis et encore valable : il peut recevoir un bon pour accord ou un refus."""
    return devis.statut == Statut.EMIS and not devis.est_perime


def _libelles(grille: calcul.Grille | None) -> dict[str, str]:
    if grille is None:
        return {}
    return {code: p.libelle for code, p in grille.prestations.items()}


def _groupes_de_devis(collectivite: Collectivite, formulaires: dict) -> list[dict]:
    """Les devis émis de la collectivité, groupés par demande (la plus récente
    d'abord ; dans une demande, le devis de services puis l'accompagnement).

    Un groupe offre le bon pour accord commun quand il compte plusieurs devis,
    tous acceptables.
    """
    devis_liste = (
        Devis.objects.filter(collectivite=collectivite)
        .exclude(statut=Statut.BROUILLON)
        .select_related("emetteur", "demande")
        .order_by("-demande__creee_le", "-demande_id", "pk")
    )
    groupes: dict[int, dict] = {}
    for devis in devis_liste:
        groupe = groupes.setdefault(
            devis.demande_id, {"demande": devis.demande, "devis": []}
        )
        devis.acceptable = _acceptable(devis)
        groupe["devis"].append(devis)
    for demande_id, groupe in groupes.items():
        groupe["devis"].sort(key=lambda d: d.emetteur.emetteur != Emetteur.FIBRE)
        groupe["accord_commun"] = len(groupe["devis"]) > 1 and all(
            d.acceptable for d in groupe["devis"]
        )
        if groupe["accord_commun"]:
            groupe["form"] = formulaires.get(demande_id) or AccordPortailForm(
                prefix=f"demande-{demande_id}"
            )
    return list(groupes.values())


def _demandes_en_attente(collectivite: Collectivite, libelles: dict) -> list:
    demandes = list(
        DemandeDevis.objects.filter(
            collectivite=collectivite, statut=DemandeDevis.Statut.DEMANDEE
        )
        .select_related("demandee_par")
        .order_by("-creee_le", "-pk")
    )
    for demande in demandes:
        demande.lignes_affichees = [
            {
                "libelle": libelles.get(ligne.get("code"), ligne.get("code")),
                "quantite": ligne.get("quantite"),
                "intervention": ligne.get("intervention", False),
            }
            for ligne in demande.lignes_demandees or []
        ]
    return demandes


# --- Choix de la collectivité ---------------------------------------------------


def _accueil_calcule(request) -> dict:
    """L'accueil de l'utilisateur : une seule collectivité → son identifiant
    (pour y rediriger) ; sinon la page (le choix, ou le message « aucune »)."""
    adhesions = list(
        Adhesion.objects.filter(utilisateur=request.user)
        .select_related("collectivite")
        .prefetch_related(
            Prefetch(
                "collectivite__conventions",
                queryset=Convention.objects.order_by("-creee_le", "-pk"),
            )
        )
        .order_by("collectivite__nom")
    )
    if len(adhesions) == 1:
        return {"redirection": adhesions[0].collectivite_id}
    if not adhesions:
        page = cache_portail.page_a_garder(
            request,
            "conventions/portail/sans_collectivite.html",
            {"message": MESSAGE_SANS_COLLECTIVITE},
        )
        return {"page": page}
    en_attente = dict(
        Devis.objects.filter(
            q_en_attente(timezone.localdate()),
            collectivite__in=[a.collectivite_id for a in adhesions],
        )
        .values_list("collectivite")
        .annotate(n=Count("pk"))
        .order_by()
    )
    grille = _grille_ou_none()
    for adhesion in adhesions:
        collectivite = adhesion.collectivite
        adhesion.convention = _convention_courante(list(collectivite.conventions.all()))
        adhesion.nb_en_attente = en_attente.get(collectivite.pk, 0)
        adhesion.categorie = (
            categorie_expliquee(collectivite, grille)[0] if grille else None
        ) or collectivite.categorie_forcee
    page = cache_portail.page_a_garder(
        request, "conventions/portail/accueil.html", {"adhesions": adhesions}
    )
    return {"page": page}


@portail_requis
@require_GET
def accueil(request):
    """Les collectivités de l'utilisateur : une seule → sa page ; plusieurs →
    un choix ; aucune → un message pour contacter le CDG.

    La page est gardée en cache jusqu'à la prochaine écriture d'une donnée
    affichée (:mod:`conventions.cache_portail`), sauf quand un message attend
    l'utilisateur (il s'affiche dans la page)."""
    if messages.get_messages(request):
        contenu = _accueil_calcule(request)
    else:
        contenu = cache_portail.memoriser(
            "accueil", request.user, lambda: _accueil_calcule(request)
        )
    if "redirection" in contenu:
        return redirect("portail:collectivite", cid=contenu["redirection"])
    return cache_portail.page_gardee_reponse(request, contenu["page"])


# --- Page d'une collectivité ----------------------------------------------------


def _page_collectivite(request, adhesion: Adhesion, *, formulaires=None):
    collectivite = adhesion.collectivite
    grille = _grille_ou_none()
    if grille is not None:
        categorie, explication = categorie_expliquee(collectivite, grille)
    else:
        categorie = collectivite.categorie_forcee or None
        explication = "Aucune grille tarifaire n'est en vigueur aujourd'hui."
    conventions = list(
        collectivite.conventions.prefetch_related("signatures").order_by(
            "-creee_le", "-pk"
        )
    )
    return render(
        request,
        "conventions/portail/collectivite.html",
        {
            "adhesion": adhesion,
            "collectivite": collectivite,
            "peut_signer": adhesion.role == Adhesion.Role.SIGNATAIRE,
            "categorie": categorie,
            "explication": explication,
            "convention": _convention_courante(conventions),
            "conventions": conventions,
            "groupes": _groupes_de_devis(collectivite, formulaires or {}),
            "demandes": _demandes_en_attente(collectivite, _libelles(grille)),
        },
    )


@portail_requis
@require_GET
def collectivite(request, cid: int):
    return _page_collectivite(request, adhesion_ou_404(request.user, cid))


# --- Conventions ------------------------------------------------------------------


def _convention_ou_404(collectivite: Collectivite, pk: int) -> Convention:
    return get_object_or_404(Convention, pk=pk, collectivite=collectivite)


@portail_requis
@require_GET
def convention_pdf(request, cid: int, pk: int):
    """La convention pré-remplie (identités, articles, grille annexée), en PDF."""
    from conventions.pdf import convention_pdf as rendre_pdf

    adhesion = adhesion_ou_404(request.user, cid)
    convention = _convention_ou_404(adhesion.collectivite, pk)
    nom = f"convention-{convention.pk}-{slugify(convention.collectivite.nom)}.pdf"
    reponse = HttpResponse(rendre_pdf(convention), content_type="application/pdf")
    reponse["Content-Disposition"] = f'attachment; filename="{nom}"'
    reponse["Cache-Control"] = "private, no-store"
    return reponse


@portail_requis
@require_GET
def convention_scan(request, cid: int, pk: int):
    """Le scan signé de la convention, depuis le stockage privé."""
    adhesion = adhesion_ou_404(request.user, cid)
    convention = _convention_ou_404(adhesion.collectivite, pk)
    if not convention.scan:
        raise Http404("Aucun scan n'a été déposé pour cette convention.")
    return reponse_fichier_prive(
        request,
        convention.scan,
        sha256=convention.scan_sha256,
        nom=f"convention-{convention.pk}-{slugify(convention.collectivite.nom)}"
        "-signee.pdf",
    )


# --- Devis ----------------------------------------------------------------------


def _page_devis(
    request, adhesion: Adhesion, devis: Devis, *, form_accord=None, form_refus=None
):
    peut_signer = adhesion.role == Adhesion.Role.SIGNATAIRE
    acceptable = _acceptable(devis)
    autres = list(
        Devis.objects.filter(demande_id=devis.demande_id)
        .exclude(pk=devis.pk)
        .exclude(statut=Statut.BROUILLON)
        .select_related("emetteur")
    )
    return render(
        request,
        "conventions/portail/devis.html",
        {
            "adhesion": adhesion,
            "collectivite": adhesion.collectivite,
            "devis": devis,
            "lignes": list(devis.lignes.all()),
            "emetteur": devis.emetteur_fige.get("nom") or devis.emetteur.nom,
            "autres_devis": autres,
            "peut_signer": peut_signer,
            "acceptable": acceptable,
            "form_accord": form_accord or AccordPortailForm(),
            "form_refus": form_refus or RefusPortailForm(),
        },
    )


@portail_requis
@require_GET
def devis_detail(request, cid: int, pk: int):
    adhesion = adhesion_ou_404(request.user, cid)
    return _page_devis(request, adhesion, _devis_ou_404(adhesion.collectivite, pk))


@portail_requis
@require_GET
def devis_pdf(request, cid: int, pk: int):
    """Le PDF conservé à l'émission, servi tel quel (jamais rendu à nouveau)."""
    adhesion = adhesion_ou_404(request.user, cid)
    devis = _devis_ou_404(adhesion.collectivite, pk)
    if not devis.pdf:
        raise Http404("Ce devis n'a pas de PDF.")
    return reponse_fichier_prive(
        request, devis.pdf, sha256=devis.pdf_sha256, nom=f"{devis.numero}.pdf"
    )


@portail_requis
@require_POST
def devis_accepter(request, cid: int, pk: int):
    """Bon pour accord sur un devis : nom, qualité et engagement du signataire."""
    adhesion = adhesion_ou_404(request.user, cid)
    devis = _devis_ou_404(adhesion.collectivite, pk)
    _signataire_requis(adhesion)
    form = AccordPortailForm(request.POST)
    if form.is_valid():
        try:
            devis = devis_services.devis_accepter(
                devis=devis,
                signataire_nom=form.cleaned_data["signataire_nom"],
                signataire_qualite=form.cleaned_data["signataire_qualite"],
                par=request.user,
                canal=CANAL,
                ip=_ip(request),
            )
        except ValidationError as erreur:
            _signaler(request, erreur)
        else:
            notifications.notifier_acceptation(
                collectivite=adhesion.collectivite,
                devis=[devis],
                signataire_nom=devis.signataire_nom,
                signataire_qualite=devis.signataire_qualite,
                par=request.user,
                le=devis.accepte_le,
            )
            messages.success(
                request,
                f"Votre bon pour accord sur le devis {devis.numero} est enregistré. "
                "Le CDG 62 en est informé.",
            )
            return redirect("portail:devis", cid=cid, pk=devis.pk)
    messages.error(request, "Le bon pour accord n'a pas été enregistré.")
    devis = _devis_ou_404(adhesion.collectivite, pk)
    return _page_devis(request, adhesion, devis, form_accord=form)


@portail_requis
@require_POST
def devis_refuser(request, cid: int, pk: int):
    """Refus d'un devis, avec son motif."""
    adhesion = adhesion_ou_404(request.user, cid)
    devis = _devis_ou_404(adhesion.collectivite, pk)
    _signataire_requis(adhesion)
    form = RefusPortailForm(request.POST)
    if form.is_valid():
        try:
            devis = devis_services.devis_refuser(
                devis=devis,
                motif=form.cleaned_data["motif"],
                par=request.user,
                canal=CANAL,
                ip=_ip(request),
            )
        except ValidationError as erreur:
            _signaler(request, erreur)
        else:
            notifications.notifier_refus(
                collectivite=adhesion.collectivite,
                devis=devis,
                motif=devis.refus_motif,
                par=request.user,
                le=devis.refuse_le,
            )
            messages.success(
                request,
                f"Votre refus du devis {devis.numero} est enregistré. "
                "Le CDG 62 en est informé.",
            )
            return redirect("portail:devis", cid=cid, pk=devis.pk)
    messages.error(request, "Le refus n'a pas été enregistré.")
    devis = _devis_ou_404(adhesion.collectivite, pk)
    return _page_devis(request, adhesion, devis, form_refus=form)


@portail_requis
@require_POST
def demande_accepter(request, cid: int, pk: int):
    """Bon pour accord commun sur tous les devis émis d'une demande."""
    adhesion = adhesion_ou_404(request.user, cid)
    demande = get_object_or_404(DemandeDevis, pk=pk, collectivite=adhesion.collectivite)
    _signataire_requis(adhesion)
    form = AccordPortailForm(request.POST, prefix=f"demande-{demande.pk}")
    if form.is_valid():
        try:
            acceptes = devis_services.devis_accepter_demande(
                demande=demande,
                signataire_nom=form.cleaned_data["signataire_nom"],
                signataire_qualite=form.cleaned_data["signataire_qualite"],
                par=request.user,
                canal=CANAL,
                ip=_ip(request),
            )
        except ValidationError as erreur:
            _signaler(request, erreur)
        else:
            notifications.notifier_acceptation(
                collectivite=adhesion.collectivite,
                devis=acceptes,
                signataire_nom=acceptes[0].signataire_nom,
                signataire_qualite=acceptes[0].signataire_qualite,
                par=request.user,
                le=acceptes[0].accepte_le,
            )
            numeros = " et ".join(d.numero for d in acceptes)
            messages.success(
                request,
                f"Votre bon pour accord sur les devis {numeros} est enregistré. "
                "Le CDG 62 en est informé.",
            )
            return redirect("portail:collectivite", cid=cid)
    messages.error(request, "Le bon pour accord n'a pas été enregistré.")
    return _page_collectivite(request, adhesion, formulaires={demande.pk: form})


# --- Demande de devis -------------------------------------------------------------


def _sans_prix(donnees: QueryDict) -> QueryDict:
    """La saisie du portail sans montant ni justification : une collectivité
    ne fixe jamais le prix d'une ligne « sur devis », le CDG l'établit."""
    copie = donnees.copy()
    for cle in list(copie):
        if cle.startswith(("prix_", "justification_")):
            del copie[cle]
    return copie


def _formulaire_demande(grille, collectivite: Collectivite, donnees=None):
    """Le formulaire de demande du back office, collectivité fixée et sans
    aucun champ de prix saisi."""
    if donnees is not None:
        donnees = _sans_prix(donnees)
    form = DemandeDevisForm(donnees, grille=grille, collectivite_fixe=collectivite)
    form.fields["commentaire"].label = "Commentaire pour le CDG 62 (facultatif)"
    return form


def _apercu(form) -> dict:
    """Le contexte de l'aperçu en direct (gabarit partagé avec le back office) :
    aucune ligne « sur devis » n'y reçoit de champ de prix, le CDG l'établit."""
    contexte = form.blocs(devis_selectors.noms_des_emetteurs())
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
        grille = grille_du_jour()
    except calcul.ErreurChiffrage as erreur:
        return render(
            request,
            "conventions/portail/demander.html",
            {"collectivite": collectivite, "erreur_grille": erreur.erreurs},
        )
    if request.method == "POST":
        form = _formulaire_demande(grille, collectivite, request.POST)
        if request.POST.get("action") == "envoyer" and form.is_valid():
            demande = demande_creer_depuis_portail(
                collectivite=collectivite,
                lignes=form.lignes,
                commentaire=form.cleaned_data["commentaire"],
                par=request.user,
            )
            notifications.notifier_demande(demande=demande, libelles=_libelles(grille))
            messages.success(request, "Votre demande a été transmise au CDG 62.")
            return redirect("portail:collectivite", cid=cid)
    else:
        form = _formulaire_demande(grille, collectivite)
    return render(
        request,
        "conventions/portail/demander.html",
        {"collectivite": collectivite, "form": form, **_apercu(form)},
    )


@portail_requis
@require_POST
def chiffrage(request, cid: int):
    """Aperçu en direct (htmx) : mêmes lignes et totaux que ``/api/chiffrage``,
    pour la collectivité du portail."""
    adhesion = adhesion_ou_404(request.user, cid)
    try:
        grille = grille_du_jour()
    except calcul.ErreurChiffrage as erreur:
        return render(
            request,
            "conventions/portail/_chiffrage.html",
            {"erreur_grille": erreur.erreurs, "htmx": True, "portail": True},
        )
    form = _formulaire_demande(grille, adhesion.collectivite, request.POST)
    return render(
        request,
        "conventions/portail/_chiffrage.html",
        {"form": form, "htmx": True, **_apercu(form)},
    )
