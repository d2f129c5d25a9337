"""Chargement du référentiel officiel (communes et EPCI du 62) dans la base.

Le fichier versionné ``conventions/data/referentiel-62.json`` (construit par
``construire_referentiel``) est lu une fois par processus
(:func:`referentiel_officiel`) : le formulaire des collectivités y vérifie
qu'un code INSEE de commune existe.

Règles de :func:`referentiel_charger` :

- un EPCI se retrouve par son SIREN, une commune par son code INSEE (à défaut
  par son SIREN) ; une seule requête lit toutes les lignes existantes ;
- ce qui manque est créé ; ce qui existe ne reçoit que les champs qui ont
  changé ; un second chargement du même fichier n'écrit rien (aucune ligne
  d'historique) ;
- chaque écriture laisse une ligne d'historique au motif « Référentiel
  <millésime> » : un nouveau millésime met à jour les populations, donc les
  catégories (calculées, jamais stockées : ``conventions.categories``) ;
- les devis ne sont jamais touchés : un devis émis imprime la copie figée de
  la population (``Devis.destinataire_fige``).
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from comptes.models import Utilisateur
from conventions.models import Collectivite
from conventions.recherche import normaliser

FICHIER_REFERENTIEL = (
    Path(settings.BASE_DIR) / "conventions" / "data" / "referentiel-62.json"
)

Type = Collectivite.Type


@functools.lru_cache(maxsize=1)
def referentiel_officiel() -> dict[str, Any]:
    """Le fichier du référentiel livré, lu une fois par processus, avec un index
    des communes par code INSEE (clé ``communes_par_code``)."""
    donnees = json.loads(FICHIER_REFERENTIEL.read_text(encoding="utf-8"))
    donnees["communes_par_code"] = {c["code_insee"]: c for c in donnees["communes"]}
    return donnees


def commune_du_referentiel(code_insee: str) -> dict[str, Any] | None:
    """La commune du référentiel officiel de ce code INSEE, ou ``None``."""
    return referentiel_officiel()["communes_par_code"].get(code_insee)


@dataclass
class RapportReferentiel:
    millesime: int
    epci_crees: int = 0
    epci_mis_a_jour: int = 0
    epci_inchanges: int = 0
    communes_creees: int = 0
    communes_mises_a_jour: int = 0
    communes_inchangees: int = 0

    @property
    def ecritures(self) -> int:
        return (
            self.epci_crees
            + self.epci_mis_a_jour
            + self.communes_creees
            + self.communes_mises_a_jour
        )

    def resume(self) -> str:
        return (
            f"Référentiel {self.millesime} : EPCI {self.epci_crees} créé(s), "
            f"{self.epci_mis_a_jour} mis à jour, {self.epci_inchanges} inchangé(s) ; "
            f"communes {self.communes_creees} créée(s), "
            f"{self.communes_mises_a_jour} mise(s) à jour, "
            f"{self.communes_inchangees} inchangée(s)."
        )


def _valeurs_epci(epci: dict[str, Any], millesime: int) -> dict[str, Any]:
    return {
        "type": Type.EPCI,
        "nom": epci["nom"],
        "siren": epci["siren"],
        "nature_epci": epci["type"],
        "population": epci["population_totale"],
        "population_annee": millesime,
        "population_source": "",
        "referentiel_millesime": millesime,
    }


def _valeurs_commune(
    commune: dict[str, Any], millesime: int, epci: Collectivite | None
) -> dict[str, Any]:
    return {
        "type": Type.COMMUNE,
        "nom": commune["nom"],
        "code_insee": commune["code_insee"],
        "siren": commune["siren"],
        "codes_postaux": list(commune["codes_postaux"]),
        "arrondissement": commune["arrondissement"] or "",
        "population": commune["population_totale"],
        "population_municipale": commune["population_municipale"],
        "population_source": commune["population_source"],
        "population_annee": millesime,
        "referentiel_millesime": millesime,
        "epci": epci,
    }


def _appliquer(
    collectivite: Collectivite, valeurs: dict[str, Any], modifies: set[str]
) -> bool:
    """Pose les valeurs qui diffèrent ; vrai si au moins une a changé."""
    change = False
    for champ, valeur in valeurs.items():
        actuelle = (
            collectivite.epci_id if champ == "epci" else getattr(collectivite, champ)
        )
        voulue = (valeur.pk if valeur else None) if champ == "epci" else valeur
        if actuelle != voulue:
            setattr(collectivite, champ, valeur)
            modifies.add(champ)
            change = True
    if change:
        collectivite.nom_recherche = normaliser(collectivite.nom)
        modifies.add("nom_recherche")
    return change


def _nouvelle(valeurs: dict[str, Any]) -> Collectivite:
    collectivite = Collectivite(**valeurs)
    collectivite.nom_recherche = normaliser(collectivite.nom)
    codes = valeurs.get("codes_postaux") or []
    if len(codes) == 1:  # l'adresse postale de la mairie, sans la deviner
        collectivite.code_postal = codes[0]
        collectivite.ville = collectivite.nom
    return collectivite


def _ecrire(
    nouvelles: list[Collectivite],
    modifiees: list[Collectivite],
    champs: set[str],
    *,
    par: Utilisateur | None,
    motif: str,
) -> None:
    if nouvelles:
        bulk_create_with_history(
            nouvelles,
            Collectivite,
            batch_size=500,
            default_user=par,
            default_change_reason=motif,
        )
    if modifiees:
        bulk_update_with_history(
            modifiees,
            Collectivite,
            sorted(champs),
            batch_size=500,
            default_user=par,
            default_change_reason=motif,
        )


@transaction.atomic
def referentiel_charger(
    *, donnees: dict[str, Any], par: Utilisateur | None = None
) -> RapportReferentiel:
    """Charge le référentiel ``donnees`` (le contenu de ``referentiel-62.json``) ;
    voir les règles du module. Idempotent."""
    millesime = int(donnees["millesime"])
    motif = f"Référentiel {millesime}"
    rapport = RapportReferentiel(millesime=millesime)
    epcis = donnees["epci"]
    communes = donnees["communes"]

    sirens_epci = {e["siren"] for e in epcis}
    codes = {c["code_insee"] for c in communes}
    sirens_communes = {c["siren"] for c in communes}
    existantes = list(
        Collectivite.objects.filter(
            Q(type=Type.EPCI, siren__in=sirens_epci)
            | Q(type=Type.COMMUNE, code_insee__in=codes)
            | Q(type=Type.COMMUNE, siren__in=sirens_communes)
        )
    )
    epci_par_siren = {c.siren: c for c in existantes if c.type == Type.EPCI}
    communes_par_code = {
        c.code_insee: c for c in existantes if c.type == Type.COMMUNE and c.code_insee
    }
    communes_par_siren = {
        c.siren: c for c in existantes if c.type == Type.COMMUNE and c.siren
    }

    # 1. Les EPCI d'abord : les communes pointent vers eux.
    nouvelles, modifiees, champs = [], [], set()
    for epci in epcis:
        valeurs = _valeurs_epci(epci, millesime)
        existante = epci_par_siren.get(epci["siren"])
        if existante is None:
            nouvelles.append(_nouvelle(valeurs))
            rapport.epci_crees += 1
        elif _appliquer(existante, valeurs, champs):
            modifiees.append(existante)
            rapport.epci_mis_a_jour += 1
        else:
            rapport.epci_inchanges += 1
    _ecrire(nouvelles, modifiees, champs, par=par, motif=motif)
    for collectivite in nouvelles:
        epci_par_siren[collectivite.siren] = collectivite

    # 2. Les communes, rattachées à leur EPCI.
    nouvelles, modifiees, champs = [], [], set()
    for commune in communes:
        epci = epci_par_siren.get(commune["epci_siren"] or "")
        valeurs = _valeurs_commune(commune, millesime, epci)
        existante = communes_par_code.get(commune["code_insee"]) or (
            communes_par_siren.get(commune["siren"])
        )
        if existante is None:
            nouvelles.append(_nouvelle(valeurs))
            rapport.communes_creees += 1
        elif _appliquer(existante, valeurs, champs):
            modifiees.append(existante)
            rapport.communes_mises_a_jour += 1
        else:
            rapport.communes_inchangees += 1
    _ecrire(nouvelles, modifiees, champs, par=par, motif=motif)
    return rapport


def referentiel_charger_fichier(
    chemin: Path | str | None = None, *, par: Utilisateur | None = None
) -> RapportReferentiel:
    """Lit ``chemin`` (par défaut le fichier livré) et le charge."""
    chemin = Path(chemin) if chemin else FICHIER_REFERENTIEL
    donnees = json.loads(chemin.read_text(encoding="utf-8"))
    return referentiel_charger(donnees=donnees, par=par)
