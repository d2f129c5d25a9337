"""Le contrôle de déploiement ``cdg62.W001`` : l'application ne possède pas
ses tables (sinon elle pourrait couper les gardes des documents figés)."""

from __future__ import annotations

import pytest
from django.db import connection

from config.checks import role_sans_propriete

pytestmark = pytest.mark.django_db


def _postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("rôles et propriétaires de tables : PostgreSQL seulement")


def test_the_deploy_check_warns_when_the_app_connects_as_superuser_or_owner():
    _postgresql()  # les tests se connectent en superutilisateur propriétaire

    avertissements = role_sans_propriete()

    assert [a.id for a in avertissements] == ["cdg62.W001"]
    assert "superutilisateur" in avertissements[0].msg
    assert "MIGRATION_DATABASE_URL" in avertissements[0].hint


def test_the_deploy_check_passes_for_a_role_that_owns_nothing():
    _postgresql()
    with connection.cursor() as curseur:
        curseur.execute(
            "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = "
            "'cdg62_essai_app') THEN CREATE ROLE cdg62_essai_app; END IF; END $$"
        )
        curseur.execute("SET LOCAL ROLE cdg62_essai_app")

    assert role_sans_propriete() == []


def test_the_deploy_check_warns_for_the_owner_of_the_frozen_tables():
    _postgresql()
    with connection.cursor() as curseur:
        curseur.execute(
            "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = "
            "'cdg62_essai_proprietaire') THEN CREATE ROLE cdg62_essai_proprietaire; "
            "END IF; END $$"
        )
        curseur.execute("ALTER TABLE devis_devis OWNER TO cdg62_essai_proprietaire")
        curseur.execute("SET LOCAL ROLE cdg62_essai_proprietaire")

    avertissements = role_sans_propriete()

    assert [a.id for a in avertissements] == ["cdg62.W001"]
    assert "propriétaire des tables (devis_devis)" in avertissements[0].msg


def test_sqlite_has_no_role_to_check():
    if connection.vendor != "sqlite":
        pytest.skip("SQLite seulement")

    assert role_sans_propriete() == []
