from __future__ import annotations

import datetime
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.backends.base.operations import BaseDatabaseOperations

from comptes.models import Utilisateur
from conventions.models import Adhesion, Convention, Organisme, Signature
from devis import services as devis_services
from tarifs.calcul import LigneDemandee
from tarifs.chargement import grille_charger_fichier
from tarifs.selectors import _construire
from tests.factories import (
    AdhesionFactory,
    CollectiviteFactory,
    ConventionFactory,
    SignatureFactory,
    UtilisateurFactory,
    devis_emis_pour,
    organismes_emetteurs,
    pdf_octets,
    poser_documents_complets,
    stockage_prive_dans,
)

FICHIER_GRILLE = Path(settings.BASE_DIR) / "tarifs" / "data" / "grille-2024-14.toml"

_vider = BaseDatabaseOperations.execute_sql_flush


def _vider_malgre_les_gardes(self, sql_list):
    """Le vidage de fin de test transactionnel (``flush``) passe les gardes des
    documents figés (``config.gardes_sql``), qui refusent à raison d'effacer un
    devis émis : sous PostgreSQL, le rôle de réplication (superutilisateur des
    tests) ne déclenche pas les gardes le temps de la transaction ; sous SQLite,
    les déclencheurs sont levés puis reposés à l'identique."""
    if self.connection.vendor == "postgresql":
        sql_list = ["SET LOCAL session_replication_role = replica", *sql_list]
    elif self.connection.vendor == "sqlite":
        with self.connection.cursor() as curseur:
            curseur.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'trigger'"
            )
            declencheurs = curseur.fetchall()
        sql_list = [
            *(f'DROP TRIGGER "{nom}"' for nom, _ in declencheurs),
            *sql_list,
            *(sql for _, sql in declencheurs),
        ]
    return _vider(self, sql_list)


BaseDatabaseOperations.execute_sql_flush = _vider_malgre_les_gardes


@pytest.fixture(autouse=True)
def sans_axes(request, settings):
    """django-axes est coupé, sauf dans les tests marqués ``axes``."""
    settings.AXES_ENABLED = "axes" in request.keywords
    # Hachage rapide : les tests créent beaucoup de comptes.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def taches_immediates(settings):
    """Les tâches de fond s'exécutent sur-le-champ (la file en base et son
    worker ont leurs propres tests)."""
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}
    }


@pytest.fixture(autouse=True)
def cache_vide():
    """Chaque test part d'un cache vide (accueil du portail, sessions)."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def stockage_prive_temporaire(tmp_path):
    """Scans et PDF émis vont dans un dossier temporaire, jamais dans ``private/``."""
    with stockage_prive_dans(tmp_path / "prive") as stockage:
        yield stockage


@pytest.fixture
def stockage(stockage_prive_temporaire, tmp_path, settings):
    """Le dossier du stockage privé du test (et un ``MEDIA_ROOT`` temporaire)."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return Path(stockage_prive_temporaire.location)


@pytest.fixture
def pdf_rapide(monkeypatch):
    """Le rendu WeasyPrint d'un devis est éprouvé ailleurs : un petit PDF suffit
    (``pytestmark = pytest.mark.usefixtures("pdf_rapide")``)."""
    monkeypatch.setattr(
        "devis.pdf.devis_rendre_pdf", lambda devis, projet=False: pdf_octets()
    )


@pytest.fixture(autouse=True)
def documents_complets(request):
    """Pour les tests qui touchent la base : émetteurs et termes complets (sans
    eux, aucun devis ne s'émet et aucune convention ne part en signature ;
    les tests des refus effacent le champ qu'ils visent)."""
    noms = request.fixturenames
    if not (
        request.node.get_closest_marker("django_db")
        or "db" in noms
        or "transactional_db" in noms
    ):
        return
    request.getfixturevalue("transactional_db" if "transactional_db" in noms else "db")
    poser_documents_complets(termes=not request.node.get_closest_marker("sans_termes"))


def pytest_collection_modifyitems(items):
    """Un test qui lit l'instantané de la grille a besoin que la base de test
    existe, même lancé seul (pytest-django ne la crée que si un test collecté
    la demande)."""
    for item in items:
        if "instantane_2024_14" in getattr(item, "fixturenames", ()):
            if not item.get_closest_marker("django_db"):
                item.add_marker(pytest.mark.django_db)


@pytest.fixture(scope="session")
def instantane_2024_14(django_db_setup, django_db_blocker):
    """La grille 2024/14 chargée depuis son fichier, figée en instantané pur.

    Le chargement est annulé aussitôt : seul l'instantané (sans base) demeure.
    """
    with django_db_blocker.unblock(), transaction.atomic():
        grille = grille_charger_fichier(FICHIER_GRILLE).grille
        instantane = _construire(grille)
        transaction.set_rollback(True)
    return instantane


@pytest.fixture
def grille_2024_14(db):
    return grille_charger_fichier(FICHIER_GRILLE).grille


@pytest.fixture
def alice_agent(db):
    return Utilisateur.objects.create_user(
        "alice@cdg62.fr", "mot-de-passe-alice", role=Utilisateur.Role.AGENT
    )


@pytest.fixture
def admin_user(db):
    return Utilisateur.objects.create_superuser("admin@cdg62.fr", "mot-de-passe-admin")


@pytest.fixture
def charlie_portail(db):
    return Utilisateur.objects.create_user(
        "charlie@mairie.fr", "mot-de-passe-charlie", role=Utilisateur.Role.PORTAIL
    )


@pytest.fixture
def agent(client, alice_agent):
    """Le client de test connecté en agent du CDG."""
    client.force_login(alice_agent)
    return client


# --- La distribution : une commune, ses conventions, ses devis -----------------


@pytest.fixture
def organismes(db) -> dict[str, Organisme]:
    """Les deux émetteurs, à l'identité complète."""
    return organismes_emetteurs()


@pytest.fixture
def ruitz_sans_convention(grille_2024_14, organismes):
    """Ruitz (62727) telle que le référentiel la décrit, sans convention."""
    return CollectiviteFactory(
        nom="Ruitz",
        code_insee="62727",
        siren="216207274",
        siret="",
        population=1500,
        population_annee=2021,
        adresse="1 place de la Mairie",
        code_postal="62620",
        ville="Ruitz",
        emails_contact="mairie@ruitz.example, secretariat@ruitz.example",
    )


@pytest.fixture
def ruitz(ruitz_sans_convention, grille_2024_14):
    """Ruitz avec sa convention signée (en vigueur depuis le 2 mai 2024) : elle
    peut recevoir des devis."""
    ConventionFactory(
        collectivite=ruitz_sans_convention,
        grille=grille_2024_14,
        statut=Convention.Statut.SIGNEE,
        date_effet=datetime.date(2024, 5, 2),
    )
    return ruitz_sans_convention


@pytest.fixture
def en_signature(ruitz):
    """Une nouvelle convention de Ruitz, partie en signature."""
    return ConventionFactory(collectivite=ruitz, statut=Convention.Statut.EN_SIGNATURE)


@pytest.fixture
def signee(grille_2024_14):
    """La convention de Quercamps, signée par les trois parties."""
    collectivite = CollectiviteFactory(nom="Quercamps", population=400)
    convention = ConventionFactory(collectivite=collectivite, signee=True)
    for partie in Signature.Partie.values:
        SignatureFactory(convention=convention, partie=partie)
    return convention


# Services (La Fibre) + accompagnement (CDG) : les deux émetteurs ont un devis.
LIGNES_DEUX_EMETTEURS = [
    LigneDemandee("messagerie-5go", 3),
    LigneDemandee("cle-1an-cdg", 1),
]


@pytest.fixture
def brouillons(ruitz, alice_agent):
    """Brouillon La Fibre (messagerie, clé) et brouillon CDG (accompagnement)."""
    return devis_services.devis_creer_brouillons(
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
    """Le devis de La Fibre émis (celui du CDG reste brouillon)."""
    return devis_services.devis_emettre(devis=brouillon_fibre, par=alice_agent)


@pytest.fixture
def sophie(ruitz):
    """Signataire de Ruitz sur le portail."""
    sophie = Utilisateur.objects.create_user(
        "sophie@mairie-ruitz.fr", "mot-de-passe-sophie", role=Utilisateur.Role.PORTAIL
    )
    AdhesionFactory(
        utilisateur=sophie, collectivite=ruitz, role=Adhesion.Role.SIGNATAIRE
    )
    return sophie


@pytest.fixture
def monde_portail(grille_2024_14, alice_agent):
    """Le portail : Ruitz, Quercamps et Beuvry sous convention ; Sophie signataire
    de Ruitz et de Quercamps, Claire en consultation pour Ruitz, Bob signataire
    de Beuvry ; deux devis émis et un brouillon pour Ruitz, un devis émis pour
    Beuvry."""
    ruitz = CollectiviteFactory(nom="Ruitz", population=1500, population_annee=2021)
    quercamps = CollectiviteFactory(nom="Quercamps", population=400)
    beuvry = CollectiviteFactory(nom="Beuvry", population=9500)
    for collectivite in (ruitz, quercamps, beuvry):
        ConventionFactory(
            collectivite=collectivite,
            grille=grille_2024_14,
            statut=Convention.Statut.SIGNEE,
            date_effet=datetime.date(2024, 5, 2),
        )
    sophie = UtilisateurFactory(email="sophie@mairie-ruitz.fr")
    claire = UtilisateurFactory(email="claire@mairie-ruitz.fr")
    bob = UtilisateurFactory(email="bob@mairie-beuvry.fr")
    AdhesionFactory(
        utilisateur=sophie, collectivite=ruitz, role=Adhesion.Role.SIGNATAIRE
    )
    AdhesionFactory(
        utilisateur=sophie, collectivite=quercamps, role=Adhesion.Role.SIGNATAIRE
    )
    AdhesionFactory(
        utilisateur=claire, collectivite=ruitz, role=Adhesion.Role.CONSULTATION
    )
    AdhesionFactory(utilisateur=bob, collectivite=beuvry, role=Adhesion.Role.SIGNATAIRE)
    fibre, cdg = devis_emis_pour(ruitz, par=alice_agent)
    (brouillon,) = devis_emis_pour(
        ruitz,
        par=alice_agent,
        lignes=[LigneDemandee("nom-de-domaine", 1)],
        emettre=False,
    )
    devis_beuvry, _ = devis_emis_pour(beuvry, par=alice_agent)
    return SimpleNamespace(
        ruitz=ruitz,
        quercamps=quercamps,
        beuvry=beuvry,
        sophie=sophie,
        claire=claire,
        bob=bob,
        alice=alice_agent,
        fibre=fibre,
        cdg=cdg,
        brouillon=brouillon,
        devis_beuvry=devis_beuvry,
        convention=ruitz.conventions.get(),
    )
