"""Contrôle de déploiement : l'application ne doit pas posséder ses tables.

Les gardes des documents figés (``config.gardes_sql``) sont des déclencheurs :
le propriétaire d'une table peut les couper (``ALTER TABLE … DISABLE
TRIGGER``), un superutilisateur aussi (``session_replication_role``). En
production, l'application se connecte donc avec un rôle qui lit et écrit les
lignes sans posséder les tables ; les migrations passent par le rôle
propriétaire (``MIGRATION_DATABASE_URL``, voir le README).
"""

from __future__ import annotations

import logging

from django.core import checks
from django.db import DatabaseError, connection

journal = logging.getLogger(__name__)

# Les tables des documents figés (l'une suffit : elles ont le même propriétaire).
TABLES_GARDEES = (
    "devis_devis",
    "conventions_convention",
    "tarifs_grilletarifaire",
)


@checks.register("securite", deploy=True)
def role_sans_propriete(app_configs=None, **kwargs):
    if connection.vendor != "postgresql":
        return []
    try:
        with connection.cursor() as curseur:
            curseur.execute(
                "SELECT rolsuper FROM pg_roles WHERE rolname = current_user"
            )
            (superutilisateur,) = curseur.fetchone()
            curseur.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
                "AND tablename = ANY(%s) AND pg_has_role(current_user, tableowner, "
                "'USAGE')",
                [list(TABLES_GARDEES)],
            )
            possedees = [ligne[0] for ligne in curseur.fetchall()]
    except DatabaseError as erreur:
        journal.warning("Rôle de base de données non vérifié : %s", erreur)
        return [
            checks.Warning(
                "Le rôle de connexion à PostgreSQL n'a pas pu être vérifié "
                f"({erreur}).",
                hint="Vérifiez DATABASE_URL et que la base répond.",
                id="cdg62.W002",
            )
        ]
    if not (superutilisateur or possedees):
        return []
    quoi = (
        "en superutilisateur"
        if superutilisateur
        else f"en propriétaire des tables ({', '.join(possedees)})"
    )
    return [
        checks.Warning(
            f"L'application se connecte à PostgreSQL {quoi} : elle pourrait "
            "couper les gardes des documents figés (DISABLE TRIGGER, "
            "session_replication_role).",
            hint=(
                "Connectez l'application (DATABASE_URL) avec un rôle qui ne possède "
                "pas les tables et passez les migrations par le rôle propriétaire "
                "(MIGRATION_DATABASE_URL) : voir le README, « Rôles de base de "
                "données »."
            ),
            id="cdg62.W001",
        )
    ]
