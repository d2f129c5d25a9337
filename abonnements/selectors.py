"""Lectures des abonnements : l'inventaire d'une collectivité, les campagnes."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from abonnements.models import Abonnement, CleSignature, ElementLivre, Renouvellement


@dataclass
class Service:
    code: str
    libelle: str
    quantite: int = 0
    montant_annuel: Decimal = Decimal("0.00")
    abonnements: list[Abonnement] = field(default_factory=list)


@dataclass
class ServicesDeLEmetteur:
    nom: str
    annuel: Decimal
    services: list[Service]


@dataclass
class Inventaire:
    """Par émetteur : les services actifs (quantités et montant annuel), les
    abonnements résiliés et les prestations livrées."""

    emetteurs: list[ServicesDeLEmetteur]
    resilies: list[Abonnement]
    livres: list[ElementLivre]
    cles: list[CleSignature]

    @property
    def vide(self) -> bool:
        return not (self.emetteurs or self.resilies or self.livres or self.cles)


def inventaire_de(collectivite) -> Inventaire:
    abonnements = list(
        Abonnement.objects.filter(collectivite=collectivite)
        .select_related("emetteur", "devis")
        .order_by("emetteur__code", "code", "debut", "id")
    )
    par_emetteur: dict[str, dict[str, Service]] = defaultdict(dict)
    annuel: dict[str, Decimal] = defaultdict(lambda: Decimal("0.00"))
    resilies = []
    for abonnement in abonnements:
        if abonnement.statut != Abonnement.Statut.ACTIF:
            resilies.append(abonnement)
            continue
        nom = abonnement.emetteur.nom
        service = par_emetteur[nom].setdefault(
            abonnement.code, Service(abonnement.code, abonnement.libelle)
        )
        service.quantite += abonnement.quantite
        service.montant_annuel += abonnement.montant_annuel or 0
        service.abonnements.append(abonnement)
        annuel[nom] += abonnement.montant_annuel or 0
    livres = list(
        ElementLivre.objects.filter(collectivite=collectivite)
        .select_related("emetteur", "devis")
        .order_by("-accepte_le", "id")
    )
    return Inventaire(
        emetteurs=[
            ServicesDeLEmetteur(nom, annuel[nom], list(services.values()))
            for nom, services in par_emetteur.items()
        ],
        resilies=resilies,
        livres=livres,
        cles=list(
            CleSignature.objects.filter(collectivite=collectivite)
            .prefetch_related("relances")
            .order_by("statut", "expire_le", "id")
        ),
    )


def campagnes():
    return Renouvellement.objects.select_related("lance_par").order_by(
        "-lance_le", "-id"
    )
