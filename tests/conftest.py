from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.backends.base.operations import BaseDatabaseOperations

from comptes.models import Utilisateur
from tarifs.chargement import grille_charger_fichier
from tarifs.selectors import _construire
from tests.factories import poser_documents_complets

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
def cache_vide():
    """Chaque test part d'un cache vide (accueil du portail, sessions)."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def stockage_prive_temporaire_global(tmp_path):
    """Scans et PDF émis vont dans un dossier temporaire, jamais dans ``private/``."""
    from tests.factories import stockage_prive_dans

    with stockage_prive_dans(tmp_path / "prive") as stockage:
        yield stockage


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
