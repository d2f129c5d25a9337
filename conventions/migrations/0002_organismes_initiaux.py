"""Les deux émetteurs, avec ce que la délibération 2024/14 en dit ; le reste est
laissé vide (affiché « à compléter ») et se renseigne dans l'administration."""

from django.db import migrations

ORGANISMES = [
    {
        "code": "cdg",
        "nom": "Centre de Gestion de la Fonction Publique Territoriale du Pas-de-Calais",
        "statut_juridique": "Établissement public administratif",
        "ville": "Bruay-la-Buissière",
        "signataire_nom": "Joël Duquenoy",
        "signataire_qualite": "Président du CDG 62",
        "prefixe_numero": "CDG62",
        "validite_jours": 90,
    },
    {
        "code": "fibre",
        "nom": "La Fibre Numérique 59-62 — Syndicat Mixte Nord Pas-de-Calais",
        "statut_juridique": "Syndicat mixte",
        "prefixe_numero": "LFN5962",
        "validite_jours": 90,
    },
]


def creer(apps, schema_editor):
    Organisme = apps.get_model("conventions", "Organisme")
    for donnees in ORGANISMES:
        Organisme.objects.get_or_create(
            code=donnees["code"], defaults=donnees
        )


class Migration(migrations.Migration):
    dependencies = [("conventions", "0001_collectivites_organismes_conventions")]

    operations = [migrations.RunPython(creer, migrations.RunPython.noop)]
