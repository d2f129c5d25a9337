"""Les listes du back office de l'inventaire : tous les abonnements (actifs et
résiliés) et toutes les clés de signature, de toutes les collectivités ;
filtrées, paginées, exportables en CSV et XLSX (``?export=csv|xlsx`` avec les
filtres de la page : l'export reprend toutes les lignes filtrées, pas la
seule page)."""

from __future__ import annotations

from django.db.models import F
from django.shortcuts import render
from django.utils import timezone

from abonnements.filters import AbonnementFilter, CleFilter
from abonnements.models import Abonnement, CleSignature
from config.pagination import PaginateurPlafonne
from config.tableurs import (
    Colonne,
    export_demande,
    exporter,
    libelles,
    requete_sans,
)
from conventions.access import agent_requis

PAR_PAGE = 25


def _page(request, liste):
    page = PaginateurPlafonne(liste, PAR_PAGE).get_page(request.GET.get("page"))
    return page, requete_sans(request, "page", "export")


IDENTITE = (
    Colonne("Collectivité", "collectivite__nom"),
    Colonne("Code INSEE", "collectivite__code_insee"),
    Colonne("SIREN", "collectivite__siren"),
    Colonne("SIRET", "collectivite__siret"),
)


# --- Abonnements ------------------------------------------------------------

COLONNES_ABONNEMENTS = (
    *IDENTITE,
    Colonne("Émetteur", "emetteur__nom"),
    Colonne("Code prestation", "code"),
    Colonne("Prestation", "libelle"),
    Colonne("Quantité", "quantite"),
    Colonne("Montant annuel TTC", "montant_annuel"),
    Colonne("Début du service", "debut"),
    Colonne("État", "statut", libelles(Abonnement.Statut)),
    Colonne("Fin", "fin"),
    Colonne("Motif de la fin", "motif_fin"),
    Colonne("Devis source", "devis__numero"),
    Colonne("Grille", "grille__reference"),
)


@agent_requis
def abonnements_liste(request):
    """Tous les abonnements, par collectivité, émetteur et prestation."""
    filtre = AbonnementFilter(
        request.GET or None,
        queryset=Abonnement.objects.order_by(
            "collectivite__nom", "emetteur__code", "code", "debut", "pk"
        ),
    )
    format = export_demande(request, filtre)
    if format:
        return exporter(
            filtre.qs,
            COLONNES_ABONNEMENTS,
            format=format,
            nom=f"abonnements-{timezone.localdate():%Y-%m-%d}",
            titre="Abonnements",
        )
    page, requete = _page(
        request, filtre.qs.select_related("collectivite", "emetteur", "devis")
    )
    return render(
        request,
        "abonnements/gestion/abonnements_liste.html",
        {"filtre": filtre, "page": page, "requete": requete},
    )


# --- Clés de signature ----------------------------------------------------------

COLONNES_CLES = (
    *IDENTITE,
    Colonne("Code prestation", "code"),
    Colonne("Validité (années)", "validite_annees"),
    Colonne("Mode de remise", "mode_remise", libelles(CleSignature.Mode)),
    Colonne("Titulaire", "titulaire_nom"),
    Colonne("Fonction", "titulaire_fonction"),
    Colonne("Remise le", "remise_le"),
    Colonne("Expire le", "expire_le"),
    Colonne("État", "statut", libelles(CleSignature.Statut)),
    Colonne("Devis source", "devis__numero"),
)


@agent_requis
def cles_liste(request):
    """Toutes les clés, celles qui expirent le plus tôt d'abord (les clés à
    remettre, sans date, à la fin)."""
    filtre = CleFilter(
        request.GET or None,
        queryset=CleSignature.objects.order_by(
            F("expire_le").asc(nulls_last=True), "collectivite__nom", "pk"
        ),
    )
    format = export_demande(request, filtre)
    if format:
        return exporter(
            filtre.qs,
            COLONNES_CLES,
            format=format,
            nom=f"cles-de-signature-{timezone.localdate():%Y-%m-%d}",
            titre="Clés de signature",
        )
    page, requete = _page(request, filtre.qs.select_related("collectivite", "devis"))
    return render(
        request,
        "abonnements/gestion/cles_liste.html",
        {"filtre": filtre, "page": page, "requete": requete},
    )
