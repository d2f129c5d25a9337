"""Remplit la forme de recherche des noms existants ; sur PostgreSQL, ajoute un
index trigramme (pg_trgm, GIN) sur cette colonne pour que les recherches
``LIKE '%…%'`` passent par un index. SQLite garde l'index B-tree simple."""

from django.db import migrations

from conventions.recherche import normaliser


def remplir(apps, schema_editor):
    Collectivite = apps.get_model("conventions", "Collectivite")
    a_jour = []
    for collectivite in Collectivite.objects.only("pk", "nom").iterator():
        collectivite.nom_recherche = normaliser(collectivite.nom)
        a_jour.append(collectivite)
    Collectivite.objects.bulk_update(a_jour, ["nom_recherche"], batch_size=500)


def index_trigramme(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS collectivite_nom_recherche_trgm "
        "ON conventions_collectivite USING gin (nom_recherche gin_trgm_ops)"
    )


def retirer_index_trigramme(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX IF EXISTS collectivite_nom_recherche_trgm")


class Migration(migrations.Migration):
    dependencies = [("conventions", "0003_referentiel_termes_pdf_convention")]

    operations = [
        migrations.RunPython(remplir, migrations.RunPython.noop),
        migrations.RunPython(index_trigramme, retirer_index_trigramme),
    ]
