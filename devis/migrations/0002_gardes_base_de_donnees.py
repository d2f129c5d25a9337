"""Garde de base de données des devis émis (doublant celle du modèle).

Déclencheurs PostgreSQL (plpgsql) et SQLite qui refusent, une fois un devis
sorti du brouillon (``OLD.statut <> 'brouillon'``) :

- la modification d'une colonne figée (``Devis.CHAMPS_FIGES``) et le retour à
  l'état brouillon ;
- sa suppression ;
- l'ajout, la modification ou la suppression de ses lignes.

Les colonnes d'état et de réponse (statut, acceptation, refus, expiration,
annulation) restent modifiables. L'émission elle-même (brouillon → émis, qui
écrit les colonnes figées) passe : le déclencheur regarde l'état *avant*.

Attention (SQLite) : une migration qui reconstruit ``devis_devis`` ou
``devis_lignedevis`` (la plupart des ``AlterField``) supprime ces déclencheurs ;
elle doit les recréer (``creer`` ci-dessous).
"""

from django.db import migrations

# Copie figée de Devis.CHAMPS_FIGES au moment de cette migration (noms de colonnes).
COLONNES_FIGEES = (
    "demande_id",
    "emetteur_id",
    "collectivite_id",
    "grille_id",
    "numero",
    "annee",
    "sequence",
    "date_emission",
    "date_validite",
    "emetteur_fige",
    "destinataire_fige",
    "grille_fige",
    "convention_fige",
    "categorie",
    "categorie_base",
    "mention_inclus",
    "total_unique",
    "total_annuel",
    "total_premiere_annee",
    "pdf",
    "pdf_sha256",
)


def _litteral(texte: str) -> str:
    """Chaîne SQL entre apostrophes (apostrophes doublées)."""
    return texte.replace("'", "''")


MESSAGE_MODIFICATION = _litteral("Un devis émis ne peut plus être modifié.")
MESSAGE_SUPPRESSION = _litteral("Un devis émis ne se supprime pas : annulez-le.")
MESSAGE_LIGNES = _litteral("Les lignes d'un devis émis ne se modifient plus.")

_anciennes = ", ".join(f"OLD.{c}" for c in COLONNES_FIGEES)
_nouvelles = ", ".join(f"NEW.{c}" for c in COLONNES_FIGEES)

POSTGRESQL = [
    f"""
    CREATE OR REPLACE FUNCTION devis_devis_garde() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        IF OLD.statut = 'brouillon' THEN
            IF TG_OP = 'DELETE' THEN
                RETURN OLD;
            END IF;
            RETURN NEW;
        END IF;
        IF TG_OP = 'DELETE' THEN
            RAISE EXCEPTION '{MESSAGE_SUPPRESSION}' USING ERRCODE = '23000';
        END IF;
        IF NEW.statut = 'brouillon'
           OR ROW({_nouvelles}) IS DISTINCT FROM ROW({_anciennes}) THEN
            RAISE EXCEPTION '{MESSAGE_MODIFICATION}' USING ERRCODE = '23000';
        END IF;
        RETURN NEW;
    END;
    $$;
    """,
    """
    CREATE TRIGGER devis_devis_garde
    BEFORE UPDATE OR DELETE ON devis_devis
    FOR EACH ROW EXECUTE FUNCTION devis_devis_garde();
    """,
    f"""
    CREATE OR REPLACE FUNCTION devis_lignedevis_garde() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP <> 'INSERT' THEN
            IF EXISTS (SELECT 1 FROM devis_devis
                       WHERE id = OLD.devis_id AND statut <> 'brouillon') THEN
                RAISE EXCEPTION '{MESSAGE_LIGNES}' USING ERRCODE = '23000';
            END IF;
        END IF;
        IF TG_OP <> 'DELETE' THEN
            IF EXISTS (SELECT 1 FROM devis_devis
                       WHERE id = NEW.devis_id AND statut <> 'brouillon') THEN
                RAISE EXCEPTION '{MESSAGE_LIGNES}' USING ERRCODE = '23000';
            END IF;
            RETURN NEW;
        END IF;
        RETURN OLD;
    END;
    $$;
    """,
    """
    CREATE TRIGGER devis_lignedevis_garde
    BEFORE INSERT OR UPDATE OR DELETE ON devis_lignedevis
    FOR EACH ROW EXECUTE FUNCTION devis_lignedevis_garde();
    """,
]

POSTGRESQL_INVERSE = [
    "DROP TRIGGER IF EXISTS devis_lignedevis_garde ON devis_lignedevis;",
    "DROP FUNCTION IF EXISTS devis_lignedevis_garde();",
    "DROP TRIGGER IF EXISTS devis_devis_garde ON devis_devis;",
    "DROP FUNCTION IF EXISTS devis_devis_garde();",
]

_differences = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in COLONNES_FIGEES)

SQLITE = [
    f"""
    CREATE TRIGGER devis_devis_garde_modification
    BEFORE UPDATE ON devis_devis FOR EACH ROW
    WHEN OLD.statut <> 'brouillon'
         AND (NEW.statut = 'brouillon' OR {_differences})
    BEGIN SELECT RAISE(ABORT, '{MESSAGE_MODIFICATION}'); END;
    """,
    f"""
    CREATE TRIGGER devis_devis_garde_suppression
    BEFORE DELETE ON devis_devis FOR EACH ROW
    WHEN OLD.statut <> 'brouillon'
    BEGIN SELECT RAISE(ABORT, '{MESSAGE_SUPPRESSION}'); END;
    """,
    f"""
    CREATE TRIGGER devis_lignedevis_garde_ajout
    BEFORE INSERT ON devis_lignedevis FOR EACH ROW
    WHEN EXISTS (SELECT 1 FROM devis_devis
                 WHERE id = NEW.devis_id AND statut <> 'brouillon')
    BEGIN SELECT RAISE(ABORT, '{MESSAGE_LIGNES}'); END;
    """,
    f"""
    CREATE TRIGGER devis_lignedevis_garde_modification
    BEFORE UPDATE ON devis_lignedevis FOR EACH ROW
    WHEN EXISTS (SELECT 1 FROM devis_devis
                 WHERE id IN (OLD.devis_id, NEW.devis_id) AND statut <> 'brouillon')
    BEGIN SELECT RAISE(ABORT, '{MESSAGE_LIGNES}'); END;
    """,
    f"""
    CREATE TRIGGER devis_lignedevis_garde_suppression
    BEFORE DELETE ON devis_lignedevis FOR EACH ROW
    WHEN EXISTS (SELECT 1 FROM devis_devis
                 WHERE id = OLD.devis_id AND statut <> 'brouillon')
    BEGIN SELECT RAISE(ABORT, '{MESSAGE_LIGNES}'); END;
    """,
]

SQLITE_INVERSE = [
    "DROP TRIGGER IF EXISTS devis_lignedevis_garde_suppression;",
    "DROP TRIGGER IF EXISTS devis_lignedevis_garde_modification;",
    "DROP TRIGGER IF EXISTS devis_lignedevis_garde_ajout;",
    "DROP TRIGGER IF EXISTS devis_devis_garde_suppression;",
    "DROP TRIGGER IF EXISTS devis_devis_garde_modification;",
]

PAR_MOTEUR = {
    "postgresql": (POSTGRESQL, POSTGRESQL_INVERSE),
    "sqlite": (SQLITE, SQLITE_INVERSE),
}


def _executer(schema_editor, rang: int) -> None:
    instructions = PAR_MOTEUR.get(schema_editor.connection.vendor)
    if instructions is None:  # autre moteur : seule la garde du modèle s'applique
        return
    for sql in instructions[rang]:
        schema_editor.execute(sql, params=None)


def creer(apps, schema_editor):
    _executer(schema_editor, 0)


def supprimer(apps, schema_editor):
    _executer(schema_editor, 1)


class Migration(migrations.Migration):
    dependencies = [
        ("devis", "0001_devis_et_numerotation"),
    ]

    operations = [
        migrations.RunPython(creer, supprimer),
    ]
