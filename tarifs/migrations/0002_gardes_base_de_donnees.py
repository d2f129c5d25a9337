"""Garde de base de données des grilles publiées (doublant celle du modèle).

Une grille publiée ne change plus, ni elle ni ses lignes (catégories, barèmes,
paliers, prestations, tarifs, montants par catégorie, lignes dérivées) : mise à
jour, suppression, insertion (``INSERT OR REPLACE`` compris) et ``TRUNCATE``
refusés par la base, sur les deux moteurs (``config.gardes_sql``).
"""

from django.db import migrations

from config.gardes_sql import Garde, Regle, executer, garde_version_publiee

MODIFICATION = "Une grille publiée ne peut plus être modifiée."
SUPPRESSION = "Une grille publiée ne peut pas être supprimée."

PUBLIEE = "EXISTS (SELECT 1 FROM tarifs_grilletarifaire g WHERE g.id = {r}.{fk} AND g.statut = 'publiee')"


def _par(chemin: str, fk: str) -> str:
    """Grille publiée atteinte par une jointure (``chemin`` : alias ``p``)."""
    return (
        f"EXISTS (SELECT 1 FROM {chemin} JOIN tarifs_grilletarifaire g ON g.id = p.grille_id "
        f"WHERE p.id = {{r}}.{fk} AND g.statut = 'publiee')"
    )


# Table -> condition « la ligne {r} appartient à une grille publiée ».
LIGNES = {
    "tarifs_categorie": PUBLIEE.replace("{fk}", "grille_id"),
    "tarifs_bareme": PUBLIEE.replace("{fk}", "grille_id"),
    "tarifs_prestation": PUBLIEE.replace("{fk}", "grille_id"),
    "tarifs_lignederivee": PUBLIEE.replace("{fk}", "grille_id"),
    "tarifs_palier": _par("tarifs_bareme p", "bareme_id"),
    "tarifs_tarif": _par("tarifs_prestation p", "prestation_id"),
    "tarifs_lignederivee_prestations_comptees": _par(
        "tarifs_lignederivee p", "lignederivee_id"
    ),
    "tarifs_tarifcategorie": (
        "EXISTS (SELECT 1 FROM tarifs_tarif t JOIN tarifs_prestation p ON p.id = t.prestation_id "
        "JOIN tarifs_grilletarifaire g ON g.id = p.grille_id "
        "WHERE t.id = {r}.tarif_id AND g.statut = 'publiee')"
    ),
}


def _garde_ligne(table: str, publiee: str) -> Garde:
    def de(r: str) -> str:
        return publiee.replace("{r}", r)

    return Garde(
        table=table,
        regles=(
            Regle("garde_ajout", "INSERT", de("NEW"), MODIFICATION),
            Regle(
                "garde_remplacement",
                "INSERT",
                f"EXISTS (SELECT 1 FROM {table} x WHERE x.id = NEW.id AND {de('x')})",
                MODIFICATION,
                sqlite_seulement=True,
            ),
            Regle("garde_modification", "UPDATE", f"{de('OLD')} OR {de('NEW')}", MODIFICATION),
            Regle("garde_suppression", "DELETE", de("OLD"), SUPPRESSION),
        ),
        figee=de("x"),
        message_vidage=SUPPRESSION,
    )


GARDES = (
    garde_version_publiee(
        "tarifs_grilletarifaire", modification=MODIFICATION, suppression=SUPPRESSION
    ),
    *(_garde_ligne(table, publiee) for table, publiee in LIGNES.items()),
)


def poser(apps, schema_editor):
    executer(schema_editor, GARDES, poser=True)


def lever(apps, schema_editor):
    executer(schema_editor, GARDES, poser=False)


class Migration(migrations.Migration):
    dependencies = [
        ("tarifs", "0001_grilles_tarifaires"),
    ]

    operations = [
        migrations.RunPython(poser, lever),
    ]
