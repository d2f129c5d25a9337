"""Données de démonstration des devis (voir ``charger_demo``).

Pour Ruitz et Quercamps (communes du référentiel officiel, conventions
signées de la démonstration des conventions) : des devis émis des deux
émetteurs, par les vrais services (numéros attribués par la numérotation, PDF
rendus et stockés), dont un accepté sur papier par l'agent de démonstration,
et un brouillon avec une ligne « sur devis » encore à chiffrer. Idempotent :
une collectivité qui a déjà des devis est laissée telle quelle.
"""

from __future__ import annotations

from comptes.models import Utilisateur
from conventions.demo import commune_demo
from conventions.models import Collectivite
from conventions.selectors import convention_courante
from conventions.services import convention_creer
from devis import services
from devis.models import Devis
from tarifs.calcul import LigneDemandee

AGENT = "agent@demo.cdg62.fr"

RUITZ_EMIS = [
    LigneDemandee("messagerie-mise-en-service", 3),
    LigneDemandee("messagerie-5go", 3),
    LigneDemandee("cle-1an-cdg", 1),
    LigneDemandee("sauvegarde-mise-en-service", 1),
    LigneDemandee("sauvegarde-abonnement", 1),
]
# 25 postes avec intervention : au-delà du barème A (20 postes), « sur devis ».
RUITZ_BROUILLON = [
    LigneDemandee("antivirus-abonnement", 25),
    LigneDemandee("antivirus-mise-en-service", 25, intervention=True),
]
QUERCAMPS_EMIS = [
    LigneDemandee("forfait-categorie", 1),
    LigneDemandee("forfait-categorie-mise-en-service", 1),
    LigneDemandee("antivirus-abonnement", 5),
    LigneDemandee("antivirus-mise-en-service", 5, intervention=True),
    LigneDemandee("cle-2ans-cdg", 1),
]


def _collectivite(nom: str, agent) -> Collectivite:
    """La commune du référentiel (jamais un doublon), avec une convention."""
    collectivite = commune_demo(nom)
    if convention_courante(collectivite) is None:
        convention_creer(collectivite=collectivite, par=agent)
    return collectivite


def _emettre(collectivite, lignes, agent) -> list[Devis]:
    brouillons = services.devis_creer_brouillons(
        collectivite=collectivite,
        lignes=lignes,
        par=agent,
        commentaire="Demande de démonstration.",
    )
    return [services.devis_emettre(devis=d, par=agent) for d in brouillons]


def charger(stdout) -> None:
    """Crée les devis de démonstration de Ruitz et Quercamps (voir le module)."""
    agent = Utilisateur.objects.filter(email=AGENT).first()
    crees: list[Devis] = []

    ruitz = _collectivite("Ruitz", agent)
    if not Devis.objects.filter(collectivite=ruitz).exists():
        emis = _emettre(ruitz, RUITZ_EMIS, agent)
        fibre = next(d for d in emis if d.emetteur.code == "fibre")
        services.devis_accepter(
            devis=fibre,
            signataire_nom="Camille Exemple",
            signataire_qualite="Maire",
            par=agent,
            canal="papier",
        )
        crees += emis
        crees += services.devis_creer_brouillons(
            collectivite=ruitz,
            lignes=RUITZ_BROUILLON,
            par=agent,
            commentaire="Demande de démonstration : 25 postes, prix à fixer.",
        )

    quercamps = _collectivite("Quercamps", agent)
    if not Devis.objects.filter(collectivite=quercamps).exists():
        crees += _emettre(quercamps, QUERCAMPS_EMIS, agent)

    if crees:
        numeros = ", ".join(d.numero for d in crees if d.numero)
        stdout.write(
            f"{len(crees)} devis de démonstration (émis : {numeros} ; "
            "un accepté, un brouillon « sur devis » à chiffrer)."
        )
    else:
        stdout.write("Devis de démonstration déjà présents.")
