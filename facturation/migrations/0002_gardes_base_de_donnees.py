"""Gardes de base de données des factures émises.

Une facture naît émise (pas de brouillon) : une fois insérée, sa ligne ne se
modifie plus et ne s'efface plus, quelle que soit la colonne ; un
``INSERT OR REPLACE`` (SQLite) en conflit avec une facture (clé, numéro,
numéro d'ordre de l'émetteur et de l'année, devis facturé) est refusé, comme le
``TRUNCATE`` (PostgreSQL) d'une table qui en contient une.

Voir ``config.gardes_sql`` pour le mécanisme (PostgreSQL et SQLite). Sous
SQLite, une migration qui reconstruit ``facturation_facture`` (la plupart des
``AlterField``) en efface les déclencheurs : elle doit rappeler :func:`poser`.
"""

from django.db import migrations

from config.gardes_sql import Garde, Regle, executer

MODIFICATION = "Une facture émise ne peut plus être modifiée."
SUPPRESSION = "Une facture émise ne se supprime pas."
TOUJOURS = "1 = 1"

GARDES = (
    Garde(
        table="facturation_facture",
        regles=(
            Regle(
                "garde_remplacement",
                "INSERT",
                "EXISTS (SELECT 1 FROM facturation_facture x WHERE "
                "x.id = NEW.id OR x.numero = NEW.numero OR x.devis_id = NEW.devis_id "
                "OR (x.emetteur_id = NEW.emetteur_id AND x.annee = NEW.annee "
                "AND x.sequence = NEW.sequence))",
                MODIFICATION,
                sqlite_seulement=True,
            ),
            Regle("garde_modification", "UPDATE", TOUJOURS, MODIFICATION),
            Regle("garde_suppression", "DELETE", TOUJOURS, SUPPRESSION),
        ),
        figee=TOUJOURS,
        message_vidage=SUPPRESSION,
    ),
)


def poser(apps, schema_editor):
    executer(schema_editor, GARDES, poser=True)


def lever(apps, schema_editor):
    executer(schema_editor, GARDES, poser=False)


class Migration(migrations.Migration):
    dependencies = [
        ("facturation", "0001_factures_et_compteurs"),
    ]

    operations = [
        migrations.RunPython(poser, lever),
    ]
