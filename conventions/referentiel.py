"""Référentiel officiel des communes et EPCI du Pas-de-Calais (domaine.md §11).

Module pur (bibliothèque standard seulement) : il reçoit les listes déjà lues
de ``data/communes.json`` et ``data/epci.json`` du paquet npm
``@etalab/decoupage-administratif`` et rend le sous-ensemble d'un département
sous forme de dictionnaire simple, trié, donc identique d'une construction à
l'autre (le fichier versionné se relit en diff).

Règles :

- seules les communes de type ``commune-actuelle`` du département sont
  gardées (les communes déléguées, associées et arrondissements municipaux ne
  sont pas des collectivités avec lesquelles on conventionne) ;
- la population d'une commune est celle de la ligne ``membres`` de son EPCI
  (population totale et municipale du millésime DGCL) ; une commune hors de
  tout EPCI retombe sur le champ ``population`` de communes.json, et on le
  dit (``population_source = "commune"``) ;
- un EPCI est gardé s'il a au moins un membre dans le département ; à cheval
  sur plusieurs départements, il garde sa population totale entière, ne liste
  que ses communes du département et compte ses autres membres dans
  ``membres_hors_departement`` ;
- une commune appartient à au plus un EPCI : les données qui disent le
  contraire sont refusées, comme un membre d'EPCI inconnu des communes.
"""

from __future__ import annotations

import json
from typing import Any

SOURCE = "@etalab/decoupage-administratif"
# Le paquet est sous MIT (package.json, LICENSE) ; son README place les données
# (INSEE, DGCL, La Poste) sous Licence Ouverte d'Etalab, sans numéro de version.
LICENCE = (
    "Paquet : licence MIT (Etalab) ; données (INSEE, DGCL, La Poste) : "
    "Licence Ouverte / Open Licence d'Etalab"
)
# Le millésime des populations n'est écrit nulle part dans les fichiers JSON :
# le README du paquet associe la version 6.0.0 à l'année 2026 et cite
# epcicom2026 (DGCL) et les populations de référence INSEE publiées fin 2025,
# celles du 1er janvier 2023, en vigueur au 1er janvier 2026.
MILLESIMES = {"6.0.0": 2023}
# Comptes attendus pour le Pas-de-Calais (domaine.md §11), par version du paquet.
COMPTES_ATTENDUS = {("6.0.0", "62"): {"communes": 887, "epci": 20}}

TYPE_COMMUNE = "commune-actuelle"


class DonneesIncoherentes(ValueError):
    """Les fichiers du paquet se contredisent : on ne construit rien."""


def construire_referentiel(
    communes: list[dict[str, Any]],
    epcis: list[dict[str, Any]],
    *,
    version: str,
    millesime: int,
    departement: str = "62",
    licence: str = LICENCE,
) -> dict[str, Any]:
    """Rend le référentiel d'un département à partir des deux listes du paquet."""
    communes_dep = {
        c["code"]: c
        for c in communes
        if c.get("departement") == departement and c.get("type") == TYPE_COMMUNE
    }

    epci_sortie = []
    membre_de: dict[str, dict[str, Any]] = {}
    epci_de: dict[str, str] = {}
    for epci in epcis:
        membres_dep = [m for m in epci["membres"] if m["code"] in communes_dep]
        inconnus = [
            m["code"]
            for m in epci["membres"]
            if m["code"] not in communes_dep and _code_du_departement(m, departement)
        ]
        if inconnus:
            raise DonneesIncoherentes(
                f"L'EPCI {epci['code']} a pour membres des codes qui ne sont pas "
                f"des communes actuelles du {departement} : {', '.join(inconnus)}."
            )
        if not membres_dep:
            continue
        for membre in membres_dep:
            if membre["code"] in epci_de:
                raise DonneesIncoherentes(
                    f"La commune {membre['code']} est membre de deux EPCI : "
                    f"{epci_de[membre['code']]} et {epci['code']}."
                )
            epci_de[membre["code"]] = epci["code"]
            membre_de[membre["code"]] = membre
        epci_sortie.append(
            {
                "siren": epci["code"],
                "nom": epci["nom"],
                "type": epci["type"],
                "population_totale": epci["populationTotale"],
                "communes": sorted(m["code"] for m in membres_dep),
                "membres_hors_departement": len(epci["membres"]) - len(membres_dep),
            }
        )

    communes_sortie = []
    for code in sorted(communes_dep):
        commune = communes_dep[code]
        membre = membre_de.get(code)
        siren = commune.get("siren") or (membre or {}).get("siren")
        if membre and commune.get("siren") and membre["siren"] != commune["siren"]:
            raise DonneesIncoherentes(
                f"La commune {code} a deux SIREN : {commune['siren']} "
                f"(communes.json) et {membre['siren']} (epci.json)."
            )
        if membre:
            population_totale = membre["populationTotale"]
            population_municipale = membre["populationMunicipale"]
            population_source = "epci"
        else:
            # communes.json ne porte qu'un chiffre, la population municipale
            # INSEE : faute de mieux il sert aussi de population totale.
            population_totale = commune.get("population")
            population_municipale = commune.get("population")
            population_source = "commune"
        communes_sortie.append(
            {
                "code_insee": code,
                "nom": commune["nom"],
                "siren": siren,
                "codes_postaux": sorted(commune.get("codesPostaux", [])),
                "arrondissement": commune.get("arrondissement"),
                "population_totale": population_totale,
                "population_municipale": population_municipale,
                "population_source": population_source,
                "epci_siren": epci_de.get(code),
            }
        )

    return {
        "source": SOURCE,
        "version": version,
        "licence": licence,
        "millesime": millesime,
        "departement": departement,
        "epci": sorted(epci_sortie, key=lambda e: e["siren"]),
        "communes": communes_sortie,
    }


def verifier_comptes(referentiel: dict[str, Any]) -> list[str]:
    """Écarts entre les comptes du référentiel et ceux attendus pour sa version.

    Liste vide quand tout concorde ou quand la version n'a pas de comptes connus.
    """
    attendus = COMPTES_ATTENDUS.get(
        (referentiel["version"], referentiel["departement"])
    )
    if attendus is None:
        return []
    ecarts = []
    for cle, attendu in attendus.items():
        trouve = len(referentiel[cle])
        if trouve != attendu:
            ecarts.append(f"{cle} : {trouve} trouvés, {attendu} attendus")
    return ecarts


def serialiser(referentiel: dict[str, Any]) -> str:
    """JSON UTF-8, une commune ou un EPCI par ligne : les diffs restent lisibles."""
    lignes = ["{"]
    cles = list(referentiel)
    for rang, cle in enumerate(cles):
        fin = "," if rang < len(cles) - 1 else ""
        valeur = referentiel[cle]
        if isinstance(valeur, list):
            lignes.append(f" {_json(cle)}: [")
            elements = [f"  {_json(element)}" for element in valeur]
            lignes.append(",\n".join(elements))
            lignes.append(f" ]{fin}")
        else:
            lignes.append(f" {_json(cle)}: {_json(valeur)}{fin}")
    lignes.append("}")
    return "\n".join(ligne for ligne in lignes if ligne) + "\n"


def _json(valeur: Any) -> str:
    return json.dumps(valeur, ensure_ascii=False)


def _code_du_departement(membre: dict[str, Any], departement: str) -> bool:
    # Un code INSEE commence par le département (2 caractères en métropole,
    # 3 outre-mer : 971…) ; seul le 62 nous occupe, la règle simple suffit.
    return membre["code"].startswith(departement)
