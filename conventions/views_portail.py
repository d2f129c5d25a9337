"""Portail des secrétaires de mairie (``/portail/``) : les collectivités de
l'utilisateur et leurs conventions. Le parcours des devis est dans
``devis/views_portail.py``.

Règles d'accès (``conventions.access``) :

- anonyme → page de connexion ; agent ou administrateur du CDG → son back
  office (``/gestion/``) ;
- un utilisateur ne voit que les collectivités de ses rattachements : une autre
  collectivité, ou un objet qui n'est pas le sien, → 404.
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET

from abonnements import selectors as abonnements_selectors
from conventions import selectors
from conventions.access import adhesion_ou_404, est_signataire, portail_requis
from conventions.categories import categorie_expliquee
from conventions.fichiers import reponse_convention_pdf, reponse_scan
from conventions.models import Adhesion, Collectivite, Convention
from devis import selectors as devis_selectors
from devis.forms import AccordPortailForm
from tarifs.selectors import grille_en_vigueur, grille_instantane

MESSAGE_SANS_COLLECTIVITE = (
    "Votre compte n'est rattaché à aucune collectivité : contactez le CDG 62."
)


def _instantane_du_jour():
    grille = grille_en_vigueur()
    return grille_instantane(grille) if grille else None


@portail_requis
@require_GET
def accueil(request):
    """Les collectivités de l'utilisateur : une seule → sa page ; plusieurs →
    un choix ; aucune → un message pour contacter le CDG."""
    adhesions = selectors.adhesions_du_portail(request.user)
    if len(adhesions) == 1:
        return redirect("portail:collectivite", cid=adhesions[0].collectivite_id)
    if not adhesions:
        return render(
            request,
            "conventions/portail/sans_collectivite.html",
            {"message": MESSAGE_SANS_COLLECTIVITE},
        )
    en_attente = devis_selectors.nombre_en_attente_par_collectivite(
        [a.collectivite_id for a in adhesions]
    )
    grille = _instantane_du_jour()
    lignes = [
        {
            "adhesion": adhesion,
            "collectivite": adhesion.collectivite,
            "convention": _convention_affichee(
                list(adhesion.collectivite.conventions.all())
            ),
            "nb_en_attente": en_attente.get(adhesion.collectivite_id, 0),
            "categorie": categorie_expliquee(adhesion.collectivite, grille)[0],
        }
        for adhesion in adhesions
    ]
    return render(request, "conventions/portail/accueil.html", {"lignes": lignes})


def _convention_affichee(conventions: list[Convention]) -> Convention | None:
    """La convention courante, sinon la dernière (résiliée ou expirée)."""
    situation = selectors.situation(conventions)
    return situation["courante"] or situation["derniere"]


def page_collectivite(request, adhesion: Adhesion, *, formulaires=None):
    """La page d'une collectivité ; ``formulaires`` : {demande: formulaire de
    bon pour accord commun saisi} quand un accord a été refusé."""
    collectivite = adhesion.collectivite
    grille = _instantane_du_jour()
    categorie, explication = categorie_expliquee(collectivite, grille)
    conventions = list(
        collectivite.conventions.prefetch_related("signatures").order_by(
            "-creee_le", "-pk"
        )
    )
    groupes = devis_selectors.devis_du_portail_par_demande(collectivite)
    for groupe in groupes:
        if groupe["accord_commun"]:
            demande_id = groupe["demande"].pk
            groupe["form"] = (formulaires or {}).get(demande_id) or AccordPortailForm(
                prefix=f"demande-{demande_id}",
                avec_cle=any(d.lignes_de_cles() for d in groupe["devis"]),
            )
    return render(
        request,
        "conventions/portail/collectivite.html",
        {
            "adhesion": adhesion,
            "collectivite": collectivite,
            "peut_signer": est_signataire(adhesion),
            "categorie": categorie,
            "explication": explication,
            "convention": _convention_affichee(conventions),
            "conventions": conventions,
            "groupes": groupes,
            "demandes": devis_selectors.demandes_en_attente_du_portail(
                collectivite, grille
            ),
            "inventaire": abonnements_selectors.inventaire_de(collectivite),
        },
    )


@portail_requis
@require_GET
def collectivite(request, cid: int):
    return page_collectivite(request, adhesion_ou_404(request.user, cid))


def _convention_ou_404(collectivite: Collectivite, pk: int) -> Convention:
    return get_object_or_404(Convention, pk=pk, collectivite=collectivite)


@portail_requis
@require_GET
def convention_pdf(request, cid: int, pk: int):
    """La convention pré-remplie (identités, articles, grille annexée), en PDF."""
    adhesion = adhesion_ou_404(request.user, cid)
    convention = _convention_ou_404(adhesion.collectivite, pk)
    return reponse_convention_pdf(request, convention)


@portail_requis
@require_GET
def convention_scan(request, cid: int, pk: int):
    """Le scan signé de la convention, depuis le stockage privé."""
    adhesion = adhesion_ou_404(request.user, cid)
    convention = _convention_ou_404(adhesion.collectivite, pk)
    return reponse_scan(request, convention)
