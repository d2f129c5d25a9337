"""Fixtures des tests de devis : stockage privé temporaire, collectivités avec
convention, brouillons et devis émis par les vrais services."""

from __future__ import annotations

import datetime

import pytest

from conventions.models import Convention, Organisme
from devis import services
from tarifs.calcul import LigneDemandee
from tests.factories import CollectiviteFactory, ConventionFactory, stockage_prive_dans

# Les émetteurs posés par la migration conventions 0003 ; recréés si un test
# transactionnel a vidé les tables.
ORGANISMES = {
    "cdg": {
        "nom": "Centre de Gestion de la Fonction Publique Territoriale du "
        "Pas-de-Calais",
        "prefixe_numero": "CDG62",
        "validite_jours": 90,
    },
    "fibre": {
        "nom": "La Fibre Numérique 59-62 — Syndicat Mixte Nord Pas-de-Calais",
        "prefixe_numero": "LFN5962",
        "validite_jours": 90,
    },
}

# Services (La Fibre) + accompagnement (CDG) : les deux émetteurs ont un devis.
LIGNES_DEUX_EMETTEURS = [
    LigneDemandee("messagerie-5go", 3),
    LigneDemandee("cle-1an-cdg", 1),
]


@pytest.fixture(autouse=True)
def stockage_prive_temporaire(tmp_path):
    """Les PDF émis vont dans un dossier temporaire, jamais dans ``private/``."""
    with stockage_prive_dans(tmp_path / "prive") as stockage:
        yield stockage


@pytest.fixture
def organismes(db) -> dict[str, Organisme]:
    for emetteur, champs in ORGANISMES.items():
        Organisme.objects.get_or_create(code=emetteur, defaults=champs)
    return {o.code: o for o in Organisme.objects.all()}


@pytest.fixture
def ruitz(grille_2024_14, organismes):
    """Une commune de 1 500 habitants (2021) avec une convention signée."""
    collectivite = CollectiviteFactory(
        nom="Ruitz",
        population=1500,
        population_annee=2021,
        adresse="1 place de la Mairie",
        code_postal="62620",
        ville="Ruitz",
        emails_contact="mairie@ruitz.example, secretariat@ruitz.example",
    )
    ConventionFactory(
        collectivite=collectivite,
        grille=grille_2024_14,
        statut=Convention.Statut.SIGNEE,
        date_effet=datetime.date(2024, 5, 2),
    )
    return collectivite


@pytest.fixture
def brouillons(ruitz, alice_agent):
    """Brouillon La Fibre (messagerie, clé) et brouillon CDG (accompagnement)."""
    return services.devis_creer_brouillons(
        collectivite=ruitz, lignes=LIGNES_DEUX_EMETTEURS, par=alice_agent
    )


@pytest.fixture
def brouillon_fibre(brouillons):
    return next(d for d in brouillons if d.emetteur.code == "fibre")


@pytest.fixture
def brouillon_cdg(brouillons):
    return next(d for d in brouillons if d.emetteur.code == "cdg")


@pytest.fixture
def devis_emis(brouillon_fibre, alice_agent):
    return services.devis_emettre(devis=brouillon_fibre, par=alice_agent)
