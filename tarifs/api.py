"""API publique de chiffrage : ``POST /api/chiffrage`` (lecture seule).

Contrat : ``../shared/domaine.md`` §9. Toute entrée invalide reçoit une réponse
400 ``{"erreurs": [...]}`` en français ; rien n'est jamais écrit.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from conventions.categories import categorie_expliquee
from conventions.models import Collectivite
from tarifs import calcul
from tarifs.selectors import AucuneGrilleEnVigueur, instantane_en_vigueur

CLES_COLLECTIVITE = ("population", "agents", "categorie", "id")


def _est_entier(valeur) -> bool:
    return isinstance(valeur, int) and not isinstance(valeur, bool)


def _entier_ou_none(valeur):
    """Un entier JSON, y compris écrit ``3.0`` ; sinon ``None``."""
    if _est_entier(valeur):
        return valeur
    if isinstance(valeur, float) and valeur.is_integer():
        return int(valeur)
    return None


def _lire_date(donnees: dict, erreurs: list[str]) -> date | None:
    valeur = donnees.get("date")
    if valeur is None:
        return timezone.localdate()
    if isinstance(valeur, str) and len(valeur) == 10:
        try:
            return date.fromisoformat(valeur)
        except ValueError:
            pass
    erreurs.append(
        "La date doit être au format AAAA-MM-JJ (par exemple « 2024-06-01 »)."
    )
    return None


def _lire_lignes(donnees: dict, erreurs: list[str]) -> list[calcul.LigneDemandee]:
    lignes = donnees.get("lignes")
    if not isinstance(lignes, list) or not lignes:
        erreurs.append("« lignes » doit être une liste d'au moins une prestation.")
        return []
    demandees = []
    for rang, ligne in enumerate(lignes, start=1):
        if not isinstance(ligne, dict):
            erreurs.append(
                f'Ligne {rang} : un objet {{"code", "quantite"}} est attendu.'
            )
            continue
        code = ligne.get("code")
        if not isinstance(code, str) or not code.strip():
            erreurs.append(f"Ligne {rang} : le code de la prestation est obligatoire.")
            continue
        quantite = _entier_ou_none(ligne.get("quantite"))
        if quantite is None or not 1 <= quantite <= calcul.QUANTITE_MAX:
            erreurs.append(
                f"Ligne {rang} (« {code} ») : la quantité doit être un nombre entier "
                f"de 1 à {calcul.QUANTITE_MAX}."
            )
            continue
        intervention = ligne.get("intervention", False)
        if intervention is None:
            intervention = False
        if not isinstance(intervention, bool):
            erreurs.append(
                f"Ligne {rang} (« {code} ») : « intervention » doit valoir "
                "true ou false."
            )
            continue
        demandees.append(calcul.LigneDemandee(code, quantite, intervention))
    return demandees


def _lire_collectivite(donnees: dict, erreurs: list[str]) -> dict | None:
    collectivite = donnees.get("collectivite")
    if collectivite is None:
        return None
    if not isinstance(collectivite, dict):
        erreurs.append(
            '« collectivite » doit être un objet, par exemple {"population": 850}.'
        )
        return None
    inconnues = [cle for cle in collectivite if cle not in CLES_COLLECTIVITE]
    if inconnues:
        erreurs.append(
            "« collectivite » : clé inconnue "
            + ", ".join(f"« {cle} »" for cle in inconnues)
            + " (clés possibles : population, agents, categorie, id)."
        )
        return None
    presentes = {cle for cle, valeur in collectivite.items() if valeur is not None}
    if (
        len(presentes & {"categorie", "id"})
        + bool(presentes & {"population", "agents"})
        > 1
    ):
        erreurs.append(
            "« collectivite » : données contradictoires ; indiquez soit la population "
            "(et/ou le nombre d'agents), soit la catégorie, soit l'identifiant."
        )
        return None
    lu: dict = {}
    for cle in ("population", "agents"):
        if cle in presentes:
            valeur = _entier_ou_none(collectivite[cle])
            if valeur is None or valeur < 0:
                quoi = "la population" if cle == "population" else "le nombre d'agents"
                erreurs.append(
                    f"« collectivite » : {quoi} doit être un nombre entier positif."
                )
                return None
            lu[cle] = valeur
    if "categorie" in presentes:
        if not isinstance(collectivite["categorie"], str):
            erreurs.append(
                "« collectivite » : la catégorie doit être une lettre de A à I."
            )
            return None
        lu["categorie"] = collectivite["categorie"].strip().upper()
    if "id" in presentes:
        identifiant = _entier_ou_none(collectivite["id"])
        if identifiant is None or identifiant < 1:
            erreurs.append(
                "« collectivite » : l'identifiant doit être un nombre entier positif."
            )
            return None
        lu["id"] = identifiant
    return lu


def _categorie(
    lu: dict | None, grille: calcul.Grille, erreurs: list[str]
) -> str | None:
    if not lu:
        return None
    try:
        if "categorie" in lu:
            if lu["categorie"] not in grille.codes_categories:
                erreurs.append(
                    f"« collectivite » : catégorie inconnue « {lu['categorie']} » "
                    f"(catégories : {', '.join(grille.codes_categories)})."
                )
                return None
            return lu["categorie"]
        if "id" in lu:
            collectivite = Collectivite.objects.filter(pk=lu["id"]).first()
            if collectivite is None:
                erreurs.append(f"« collectivite » : aucune collectivité n°{lu['id']}.")
                return None
            return categorie_expliquee(collectivite, grille)[0]
        return calcul.categorie_pour(
            grille, population=lu.get("population"), agents=lu.get("agents")
        )
    except calcul.ErreurChiffrage as exc:
        erreurs.extend(exc.erreurs)
        return None


def _montant(valeur: Decimal | None) -> str | None:
    return None if valeur is None else f"{valeur:.2f}"


def chiffrage_en_json(resultat: calcul.Chiffrage) -> dict:
    grille = resultat.grille
    return {
        "grille": {
            "reference": grille.reference,
            "date_deliberation": grille.date_deliberation.isoformat(),
            "date_effet": grille.date_effet.isoformat(),
        },
        "categorie": resultat.categorie,
        "devis": [
            {
                "emetteur": devis.emetteur,
                "lignes": [
                    {
                        "code": ligne.code,
                        "libelle": ligne.libelle,
                        "quantite": ligne.quantite,
                        "prix_unitaire": _montant(ligne.prix_unitaire),
                        "montant": _montant(ligne.montant),
                        "periodicite": ligne.periodicite,
                        "mode": ligne.mode,
                    }
                    for ligne in devis.lignes
                ],
                "total_unique": _montant(devis.total_unique),
                "total_annuel": _montant(devis.total_annuel),
                "total_premiere_annee": _montant(devis.total_premiere_annee),
                "sur_devis": devis.sur_devis,
            }
            for devis in resultat.devis
        ],
    }


def _erreur(erreurs: list[str]) -> JsonResponse:
    return JsonResponse({"erreurs": erreurs}, status=400)


@csrf_exempt
@require_POST
def chiffrage(request):
    try:
        corps = request.body
    except RequestDataTooBig:
        # Sinon Django répond par sa page HTML « Bad Request » en anglais.
        limite = settings.DATA_UPLOAD_MAX_MEMORY_SIZE // 1024
        return _erreur(
            [f"Le corps de la requête est trop volumineux ({limite} Ko au plus)."]
        )
    try:
        donnees = json.loads(corps)
    except (ValueError, RecursionError):
        return _erreur(["Le corps de la requête n'est pas un JSON valide."])
    if not isinstance(donnees, dict):
        return _erreur(["Le corps de la requête doit être un objet JSON."])

    erreurs: list[str] = []
    jour = _lire_date(donnees, erreurs)
    lignes = _lire_lignes(donnees, erreurs)
    lu = _lire_collectivite(donnees, erreurs)
    if erreurs:
        return _erreur(erreurs)

    try:
        grille = instantane_en_vigueur(jour)
    except AucuneGrilleEnVigueur as exc:
        return _erreur(exc.erreurs)
    categorie = _categorie(lu, grille, erreurs)
    if erreurs:
        return _erreur(erreurs)
    try:
        resultat = calcul.chiffrer(grille, lignes, categorie=categorie)
    except calcul.ErreurChiffrage as exc:
        return _erreur(exc.erreurs)
    return JsonResponse(chiffrage_en_json(resultat))
