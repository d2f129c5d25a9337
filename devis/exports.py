"""Les colonnes de l'export tableur de la liste des devis du back office
(``/gestion/devis/?export=csv|xlsx``, ``config.tableurs``) : identité du
destinataire, statut affiché (« Expiré » dès la date passée, comme la page),
dates, les trois totaux TTC en ``Decimal`` et la réponse de la collectivité."""

from __future__ import annotations

import datetime

from config.tableurs import Colonne, jour_local, libelles
from devis.models import Devis

Statut = Devis.Statut


def _numero(numero, pk) -> str:
    return numero or f"Brouillon n°{pk}"


def _statut_affiche(aujourdhui: datetime.date):
    etats = dict(Statut.choices)

    def convertir(statut, date_validite):
        if statut == Statut.EMIS and date_validite and date_validite < aujourdhui:
            return etats[Statut.EXPIRE]
        return etats.get(statut, statut)

    return convertir


def colonnes_devis(aujourdhui: datetime.date) -> tuple[Colonne, ...]:
    return (
        Colonne("Numéro", ("numero", "pk"), _numero),
        Colonne("Émetteur", "emetteur__nom"),
        Colonne("Collectivité", "collectivite__nom"),
        Colonne("Code INSEE", "collectivite__code_insee"),
        Colonne("SIREN", "collectivite__siren"),
        Colonne("SIRET", "collectivite__siret"),
        Colonne("Année", "annee_affichee"),
        Colonne("Statut", ("statut", "date_validite"), _statut_affiche(aujourdhui)),
        Colonne("Date d'émission", "date_emission"),
        Colonne("Valable jusqu'au", "date_validite"),
        Colonne("Total unique TTC", "total_unique"),
        Colonne("Total annuel TTC", "total_annuel"),
        Colonne("Total première année TTC", "total_premiere_annee"),
        Colonne("Accepté le", "accepte_le", jour_local),
        Colonne("Refusé le", "refuse_le", jour_local),
        Colonne("Annulé le", "annule_le", jour_local),
        Colonne("Signataire", "signataire_nom"),
        Colonne("Qualité du signataire", "signataire_qualite"),
        Colonne(
            "Canal de la réponse",
            "reponse_canal",
            libelles(Devis._meta.get_field("reponse_canal").choices),
        ),
        Colonne("Remplace le devis", "remplace__numero"),
        Colonne("Créé le", "cree_le", jour_local),
    )
