"""L'état des sommes à facturer dans le back office
(``/gestion/facturation/etat/``) : un émetteur, une période, les totaux à
l'écran et le détail ligne à ligne en CSV ou XLSX (``?export=csv|xlsx``)."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.shortcuts import render

from config.tableurs import export_demande, reponse_tableur, requete_sans
from conventions.access import agent_requis
from facturation.etat import ENTETES, etat_des_sommes, lignes_du_tableur
from facturation.forms import EtatForm

PAR_PAGE = 25


@agent_requis
def etat(request):
    """Sans paramètres, le formulaire ; avec une période valable, l'état."""
    form = EtatForm(request.GET or None)
    format = export_demande(request, form)
    if not form.is_bound or not form.is_valid():
        return render(request, "facturation/gestion/etat.html", {"form": form})
    etat = etat_des_sommes(**form.cleaned_data)
    if format:
        return reponse_tableur(
            ENTETES,
            lignes_du_tableur(etat),
            format=format,
            nom=f"etat-sommes-{etat.emetteur}-{etat.du:%Y-%m-%d}-{etat.au:%Y-%m-%d}",
            titre="État des sommes à facturer",
        )
    page = Paginator(etat.devis, PAR_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "facturation/gestion/etat.html",
        {
            "form": form,
            "etat": etat,
            "page": page,
            "requete": requete_sans(request, "page", "export"),
        },
    )
