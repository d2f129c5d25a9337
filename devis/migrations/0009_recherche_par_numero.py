"""Sur PostgreSQL, un index trigramme (pg_trgm, GIN) sur ``UPPER(numero)`` : la
recherche par numéro de la liste (``numero__icontains``, qui s'écrit
``UPPER(numero) LIKE UPPER('%…%')``) passe par un index au lieu de lire toute
la table. SQLite garde sa lecture séquentielle."""

from django.db import migrations


def index_trigramme(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS devis_numero_trgm "
        "ON devis_devis USING gin (UPPER(numero::text) gin_trgm_ops)"
    )


def retirer_index_trigramme(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX IF EXISTS devis_numero_trgm")


class Migration(migrations.Migration):
    dependencies = [("devis", "0008_historique")]

    operations = [migrations.RunPython(index_trigramme, retirer_index_trigramme)]
