"""Les gardes de base de données des documents figés, pour les deux moteurs.

Un devis émis, une convention partie en signature, une grille ou des termes
publiés ne changent plus : le modèle le refuse, et la base aussi, pour qu'un
``QuerySet.update()``, un ``INSERT OR REPLACE`` ou un ``TRUNCATE`` écrit à la
main ne passe pas. Chaque migration de garde décrit ses tables par une liste
de :class:`Regle` (condition SQL qui doit refuser l'écriture) ; ce module en
tire les déclencheurs :

- **PostgreSQL** : une fonction plpgsql par table (``BEFORE INSERT OR UPDATE OR
  DELETE … FOR EACH ROW``) et un déclencheur ``BEFORE TRUNCATE`` qui refuse de
  vider une table tant qu'elle contient une ligne figée (``TRUNCATE … CASCADE``
  compris : PostgreSQL déclenche la garde de chaque table vidée par cascade).
  Erreur ``23000`` : Django lève ``IntegrityError``.
- **SQLite** : un déclencheur par règle (``RAISE(ABORT, …)``, ``IntegrityError``
  aussi). Un ``REPLACE`` efface la ligne en conflit sans déclencheur de
  suppression : les règles ``INSERT`` refusent d'emblée toute insertion qui
  entrerait en conflit avec une ligne figée (clé ou contrainte d'unicité), et
  les réglages activent ``PRAGMA recursive_triggers`` (qui fait aussi passer
  ces effacements par les gardes de suppression).

Les conditions s'écrivent une fois pour les deux moteurs : ``OLD``/``NEW``,
``{ne}`` pour « différent, NULL compris » (``IS NOT`` / ``IS DISTINCT FROM``).

Attention (SQLite) : une migration qui reconstruit une table gardée (la plupart
des ``AlterField``) en efface les déclencheurs ; elle doit rappeler
``poser`` de la migration de garde de cette table.
"""

from __future__ import annotations

from dataclasses import dataclass

OPERATIONS = ("INSERT", "UPDATE", "DELETE")
DIFFERENT = {"sqlite": "IS NOT", "postgresql": "IS DISTINCT FROM"}


def litteral(texte: str) -> str:
    """Chaîne SQL entre apostrophes (apostrophes doublées)."""
    return "'" + texte.replace("'", "''") + "'"


@dataclass(frozen=True)
class Regle:
    """Une écriture refusée : opération, condition (sur OLD/NEW), message."""

    nom: str
    operation: str
    condition: str
    message: str
    # Les conflits d'un ``INSERT OR REPLACE`` n'existent que sous SQLite.
    sqlite_seulement: bool = False

    def __post_init__(self):
        if self.operation not in OPERATIONS:
            raise ValueError(f"Opération inconnue : {self.operation}")

    def sql(self, moteur: str) -> str:
        return self.condition.format(ne=DIFFERENT[moteur])


@dataclass(frozen=True)
class Garde:
    """Les règles d'une table et, pour ``TRUNCATE``, ce qui y est figé."""

    table: str
    regles: tuple[Regle, ...]
    # Condition sur une ligne ``x`` de la table : tant qu'une telle ligne
    # existe, la table ne se vide pas (PostgreSQL ``TRUNCATE``).
    figee: str
    message_vidage: str

    def _fonction(self) -> str:
        return f"{self.table}_garde"

    def postgresql(self) -> list[str]:
        blocs = []
        for operation in OPERATIONS:
            tests = "".join(
                f"""
            IF {regle.sql("postgresql")} THEN
                RAISE EXCEPTION {litteral(regle.message)} USING ERRCODE = '23000';
            END IF;"""
                for regle in self.regles
                if regle.operation == operation and not regle.sqlite_seulement
            )
            if tests:
                blocs.append(f"IF TG_OP = '{operation}' THEN{tests}\n        END IF;")
        corps = "\n        ".join(blocs)
        return [
            f"""
            CREATE OR REPLACE FUNCTION {self._fonction()}() RETURNS trigger
            LANGUAGE plpgsql AS $$
            BEGIN
                {corps}
                IF TG_OP = 'DELETE' THEN
                    RETURN OLD;
                END IF;
                RETURN NEW;
            END;
            $$;
            """,
            f"""
            CREATE TRIGGER {self._fonction()}
            BEFORE INSERT OR UPDATE OR DELETE ON {self.table}
            FOR EACH ROW EXECUTE FUNCTION {self._fonction()}();
            """,
            FONCTION_VIDAGE,
            f"""
            CREATE TRIGGER {self._fonction()}_vidage
            BEFORE TRUNCATE ON {self.table}
            FOR EACH STATEMENT EXECUTE FUNCTION garde_vidage(
                {litteral(self.figee)}, {litteral(self.message_vidage)});
            """,
        ]

    def postgresql_inverse(self) -> list[str]:
        return [
            f"DROP TRIGGER IF EXISTS {self._fonction()}_vidage ON {self.table};",
            f"DROP TRIGGER IF EXISTS {self._fonction()} ON {self.table};",
            f"DROP FUNCTION IF EXISTS {self._fonction()}();",
        ]

    def sqlite(self) -> list[str]:
        return [
            f"""
            CREATE TRIGGER {self.table}_{regle.nom}
            BEFORE {regle.operation} ON {self.table} FOR EACH ROW
            WHEN {regle.sql("sqlite")}
            BEGIN SELECT RAISE(ABORT, {litteral(regle.message)}); END;
            """
            for regle in self.regles
        ]

    def sqlite_inverse(self) -> list[str]:
        return [
            f"DROP TRIGGER IF EXISTS {self.table}_{regle.nom};" for regle in self.regles
        ]


# Partagée par toutes les gardes (CREATE OR REPLACE : chaque migration la pose).
FONCTION_VIDAGE = """
CREATE OR REPLACE FUNCTION garde_vidage() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    figee boolean;
BEGIN
    EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I.%I AS x WHERE %s)',
                   TG_TABLE_SCHEMA, TG_TABLE_NAME, TG_ARGV[0]) INTO figee;
    IF figee THEN
        RAISE EXCEPTION '%', TG_ARGV[1] USING ERRCODE = '23000';
    END IF;
    RETURN NULL;
END;
$$;
"""


def transitions(colonne: str, permises: dict[str, tuple[str, ...]]) -> str:
    """Condition « le changement de ``colonne`` n'est pas une transition
    permise » (rester dans le même état est toujours permis)."""
    couples = " OR ".join(
        f"(OLD.{colonne} = {litteral(depart)} AND NEW.{colonne} IN "
        f"({', '.join(litteral(a) for a in arrivees)}))"
        for depart, arrivees in permises.items()
        if arrivees
    )
    return f"NEW.{colonne} <> OLD.{colonne} AND NOT ({couples or 'FALSE'})"


def colonnes_changees(colonnes: tuple[str, ...]) -> str:
    """Condition « l'une de ces colonnes change » (NULL compris)."""
    return "(" + " OR ".join(f"NEW.{c} {{ne}} OLD.{c}" for c in colonnes) + ")"


def executer(schema_editor, gardes: tuple[Garde, ...], *, poser: bool) -> None:
    """Pose (ou lève) les gardes sur le moteur de la migration. Un autre moteur
    n'a que les gardes des modèles."""
    moteur = schema_editor.connection.vendor
    for garde in gardes if poser else reversed(gardes):
        if moteur == "postgresql":
            instructions = garde.postgresql() if poser else garde.postgresql_inverse()
        elif moteur == "sqlite":
            instructions = garde.sqlite() if poser else garde.sqlite_inverse()
        else:
            return
        for sql in instructions:
            schema_editor.execute(sql, params=None)


def garde_version_publiee(table: str, *, modification: str, suppression: str) -> Garde:
    """Une table de versions publiées (grille, termes) : une version publiée
    ne change plus et ne s'efface pas ; un remplacement SQLite ne la vise ni par
    sa clé ni par sa date d'effet (unique parmi les versions publiées)."""
    return Garde(
        table=table,
        regles=(
            Regle(
                "garde_remplacement",
                "INSERT",
                f"EXISTS (SELECT 1 FROM {table} x WHERE x.statut = 'publiee' "
                "AND (x.id = NEW.id OR (NEW.statut = 'publiee' "
                "AND x.date_effet = NEW.date_effet)))",
                modification,
                sqlite_seulement=True,
            ),
            Regle(
                "garde_modification", "UPDATE", "OLD.statut = 'publiee'", modification
            ),
            Regle("garde_suppression", "DELETE", "OLD.statut = 'publiee'", suppression),
        ),
        figee="x.statut = 'publiee'",
        message_vidage=suppression,
    )
