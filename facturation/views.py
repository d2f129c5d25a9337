"""La facture Factur-X d'un devis accepté : son émission par un agent, son
téléchargement au back office et sur le portail.

Vues courtes : aide d'accès → service → redirection avec un message, ou le PDF
stocké servi tel quel (``reponse_fichier_prive`` vérifie son SHA-256). Une
facture se désigne par son devis (une facture par devis). Sur le portail, la
facture d'une autre collectivité répond 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_GET, require_POST

from conventions.access import adhesion_ou_404, agent_requis, portail_requis
from conventions.fichiers import reponse_fichier_prive
from devis.models import Devis
from facturation import services
from facturation.models import Facture


def _reponse_pdf(request, facture: Facture):
    return reponse_fichier_prive(
        request, facture.pdf, sha256=facture.pdf_sha256, nom=facture.nom_fichier
    )


@agent_requis
@require_POST
def facture_emettre(request, pk: int):
    """« Établir la facture Factur-X » d'un devis accepté."""
    devis = get_object_or_404(Devis, pk=pk)
    try:
        facture = services.facture_emettre(devis=devis, par=request.user)
    except ValidationError as erreur:
        for message in erreur.messages:
            messages.error(request, message)
    else:
        messages.success(
            request,
            f"Facture {facture.numero} établie au format Factur-X (EN 16931).",
        )
    return redirect("devis:detail", pk=pk)


@agent_requis
@require_GET
def facture_pdf(request, pk: int):
    """Le PDF Factur-X stocké de la facture du devis ``pk`` (404 sans facture)."""
    facture = get_object_or_404(Facture, devis_id=pk)
    return _reponse_pdf(request, facture)


@portail_requis
@require_GET
def facture_pdf_portail(request, cid: int, pk: int):
    """La facture d'un devis de la collectivité ``cid`` de l'utilisateur."""
    adhesion = adhesion_ou_404(request.user, cid)
    facture = get_object_or_404(
        Facture, devis_id=pk, collectivite=adhesion.collectivite
    )
    return _reponse_pdf(request, facture)
