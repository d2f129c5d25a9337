"""Chargement d'une grille tarifaire depuis un fichier TOML versionné dans le dépôt."""

from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction

from tarifs.models import (
    Bareme,
    Categorie,
    GrilleTarifaire,
    LigneDerivee,
    Palier,
    Prestation,
    Tarif,
    TarifCategorie,
)
from tarifs.services import grille_publier


@dataclass(frozen=True)
class ResultatChargement:
    grille: GrilleTarifaire
    action: str  # « créée », « mise à jour », « inchangée »


def _montant(valeur: str | int | None, contexte: str) -> Decimal | None:
    if valeur is None:
        return None
    try:
        return Decimal(str(valeur))
    except InvalidOperation as exc:
        raise ValidationError(
            f"Montant illisible pour {contexte} : {valeur!r}."
        ) from exc


def _remplir(grille: GrilleTarifaire, donnees: dict) -> None:
    categories = {}
    for c in donnees["grille"]["categories"]:
        categories[c["code"]] = Categorie.objects.create(
            grille=grille,
            code=c["code"],
            population_min=c["population_min"],
            population_max=c.get("population_max"),
            agents_min=c["agents_min"],
            agents_max=c.get("agents_max"),
        )
    baremes = {}
    for b in donnees.get("baremes", []):
        bareme = Bareme.objects.create(
            grille=grille,
            code=b["code"],
            libelle=b["libelle"],
            au_dela_tranche=b.get("au_dela_tranche"),
            au_dela_montant=_montant(
                b.get("au_dela_montant"), f"le barème {b['code']}"
            ),
        )
        for p in b["paliers"]:
            Palier.objects.create(
                bareme=bareme,
                quantite_min=p["de"],
                quantite_max=p["a"],
                montant=_montant(p["montant"], f"le barème {b['code']}"),
            )
        baremes[b["code"]] = bareme
    prestations = {}
    for ordre, p in enumerate(donnees["prestations"], start=1):
        prestation = Prestation.objects.create(
            grille=grille,
            code=p["code"],
            libelle=p["libelle"],
            section=p["section"],
            unite=p["unite"],
            notes=p.get("notes", ""),
            ordre=ordre * 10,
        )
        prestations[p["code"]] = prestation
        for t in p["tarifs"]:
            tarif = Tarif.objects.create(
                prestation=prestation,
                emetteur=t["emetteur"],
                calcul=t["calcul"],
                periodicite=t["periodicite"],
                prix_unitaire=_montant(t.get("prix"), p["code"]),
                plafond=t.get("plafond"),
                bareme=baremes[t["bareme"]] if "bareme" in t else None,
                si_intervention=t.get("si_intervention", False),
                mention=t.get("mention", ""),
            )
            for code, montant in t.get("montants", {}).items():
                TarifCategorie.objects.create(
                    tarif=tarif,
                    categorie=categories[code],
                    montant=_montant(montant, f"{p['code']} ({code})"),
                )
            if t["calcul"] == "categorie":
                # Une catégorie absente du fichier est « sur devis ».
                for code, categorie in categories.items():
                    if code not in t.get("montants", {}):
                        TarifCategorie.objects.create(
                            tarif=tarif, categorie=categorie, montant=None
                        )
    for d in donnees.get("lignes_derivees", []):
        derivee = LigneDerivee.objects.create(
            grille=grille,
            code=d["code"],
            libelle=d["libelle"],
            emetteur=d["emetteur"],
            periodicite=d["periodicite"],
            unite=d["unite"],
            bareme=baremes[d["bareme"]],
            ordre=prestations[d["apres"]].ordre + 5,
        )
        derivee.prestations_comptees.set([prestations[code] for code in d["compte"]])


@transaction.atomic
def grille_charger_fichier(chemin: Path | str) -> ResultatChargement:
    """Charge (ou recharge) la grille décrite par un fichier TOML.

    Idempotent : la grille est retrouvée par sa référence et sa date d'effet.
    Une grille encore en brouillon est remplacée par le contenu du fichier ; une
    grille publiée n'est jamais modifiée (un fichier différent est refusé : une
    nouvelle délibération fait une nouvelle grille).
    """
    contenu = Path(chemin).read_bytes()
    empreinte = hashlib.sha256(contenu).hexdigest()
    donnees = tomllib.loads(contenu.decode("utf-8"))
    entete = donnees["grille"]
    existante = GrilleTarifaire.objects.filter(
        reference=entete["reference"], date_effet=entete["date_effet"]
    ).first()
    if existante is not None and existante.est_publiee:
        if existante.empreinte_source and existante.empreinte_source != empreinte:
            raise ValidationError(
                f"La grille {existante.reference} est publiée et le fichier a changé : "
                "une grille publiée ne se modifie pas, créez une nouvelle version."
            )
        return ResultatChargement(existante, "inchangée")
    if existante is not None:
        existante.delete()
        action = "mise à jour"
    else:
        action = "créée"
    grille = GrilleTarifaire.objects.create(
        reference=entete["reference"],
        date_deliberation=entete["date_deliberation"],
        instance=entete.get(
            "instance", GrilleTarifaire._meta.get_field("instance").default
        ),
        date_effet=entete["date_effet"],
        empreinte_source=empreinte,
    )
    _remplir(grille, donnees)
    if entete.get("statut") == GrilleTarifaire.Statut.PUBLIEE:
        grille_publier(grille=grille)
    grille.refresh_from_db()
    return ResultatChargement(grille, action)
