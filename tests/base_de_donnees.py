"""Écritures faites sous le modèle, pour éprouver les gardes de la base
(``config.gardes_sql``) sur les deux moteurs."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction


def refus_de_la_base(operation) -> str:
    """Exécute ``operation`` (qui doit être refusée par la base) dans un point
    de sauvegarde ; renvoie le message de l'erreur."""
    with pytest.raises(DatabaseError) as erreur, transaction.atomic():
        operation()
    return str(erreur.value)


def sql(requete: str, parametres=()):
    """Une requête SQL brute, à exécuter plus tard."""

    def executer():
        with connection.cursor() as curseur:
            curseur.execute(requete, parametres)

    return executer


def vider(table: str):
    """PostgreSQL : ``TRUNCATE … CASCADE`` ; SQLite, qui n'a pas TRUNCATE :
    ``DELETE`` sans condition. Sous PostgreSQL, les contrôles de clés différés
    de la transaction du test passent d'abord : le TRUNCATE atteint alors la
    garde, comme dans une transaction à lui."""
    if connection.vendor == "postgresql":
        return sql(f"SET CONSTRAINTS ALL IMMEDIATE; TRUNCATE {table} CASCADE")
    return sql(f"DELETE FROM {table}")


def remplacer(table: str, pk: int, colonne: str, valeur: str):
    """Réécrit la ligne ``pk`` de ``table`` par une insertion en conflit sur la
    clé : ``INSERT OR REPLACE`` (SQLite), ``INSERT … ON CONFLICT DO UPDATE``
    (PostgreSQL), la ligne copiée avec ``colonne`` changée en ``valeur``
    (expression SQL)."""
    with connection.cursor() as curseur:
        curseur.execute(f"DROP TABLE IF EXISTS copie_{table}")
        curseur.execute(
            f"CREATE TEMPORARY TABLE copie_{table} AS SELECT * FROM {table} "
            "WHERE id = %s",
            [pk],
        )
        curseur.execute(f"UPDATE copie_{table} SET {colonne} = {valeur}")
    if connection.vendor == "sqlite":
        return sql(f"INSERT OR REPLACE INTO {table} SELECT * FROM copie_{table}")
    return sql(
        f"INSERT INTO {table} SELECT * FROM copie_{table} ON CONFLICT (id) "
        f"DO UPDATE SET {colonne} = EXCLUDED.{colonne}"
    )
