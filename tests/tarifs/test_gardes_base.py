"""Une grille publiée ne change plus sous le modèle non plus : les déclencheurs
des deux moteurs refusent ``QuerySet.update()``, le SQL brut, la suppression,
le remplacement et le vidage, et laissent un brouillon se modifier."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tarifs.models import (
    Bareme,
    Categorie,
    GrilleTarifaire,
    Palier,
    Prestation,
    Tarif,
    TarifCategorie,
)
from tarifs.services import grille_dupliquer
from tests.base_de_donnees import refus_de_la_base, remplacer, sql, vider

pytestmark = pytest.mark.django_db


_refuse = refus_de_la_base


def _prix_domaine(grille) -> Tarif:
    return Tarif.objects.get(
        prestation__grille=grille, prestation__code="nom-de-domaine"
    )


def test_the_database_refuses_to_change_a_published_price(grille_2024_14):
    tarif = _prix_domaine(grille_2024_14)

    message = _refuse(
        lambda: Tarif.objects.filter(pk=tarif.pk).update(prix_unitaire=Decimal("1.00"))
    )

    assert "grille publiée ne peut plus être modifiée" in message
    assert _prix_domaine(grille_2024_14).prix_unitaire == tarif.prix_unitaire


@pytest.mark.parametrize(
    "champs",
    [{"reference": "2099/1"}, {"statut": "brouillon"}, {"date_effet": "2030-01-01"}],
    ids=lambda champs: next(iter(champs)),
)
def test_the_database_refuses_to_change_a_published_grid(grille_2024_14, champs):
    message = _refuse(
        lambda: GrilleTarifaire.objects.filter(pk=grille_2024_14.pk).update(**champs)
    )

    assert "grille publiée ne peut plus être modifiée" in message
    grille_2024_14.refresh_from_db()
    assert (grille_2024_14.reference, grille_2024_14.statut) == ("2024/14", "publiee")


@pytest.mark.parametrize(
    "modele, filtre",
    [
        (Categorie, "grille"),
        (Bareme, "grille"),
        (Palier, "bareme__grille"),
        (Prestation, "grille"),
        (Tarif, "prestation__grille"),
        (TarifCategorie, "tarif__prestation__grille"),
    ],
    ids=lambda valeur: getattr(valeur, "__name__", valeur),
)
def test_the_database_refuses_to_delete_or_rewrite_the_lines_of_a_published_grid(
    grille_2024_14, modele, filtre
):
    lignes = modele.objects.filter(**{filtre: grille_2024_14})
    nombre = lignes.count()
    assert nombre > 0
    table = modele._meta.db_table

    assert "grille publiée" in _refuse(lambda: lignes._raw_delete(lignes.db))
    assert "grille publiée" in _refuse(sql(f"UPDATE {table} SET id = id"))
    assert lignes.count() == nombre


def test_the_database_refuses_to_delete_a_published_grid(grille_2024_14):
    message = _refuse(
        sql("DELETE FROM tarifs_grilletarifaire WHERE id = %s", [grille_2024_14.pk])
    )

    assert "grille publiée ne peut pas être supprimée" in message
    assert GrilleTarifaire.objects.filter(pk=grille_2024_14.pk).exists()


def test_the_database_refuses_to_add_a_price_to_a_published_grid(grille_2024_14):
    prestation = Prestation.objects.filter(grille=grille_2024_14).first()
    modele = _prix_domaine(grille_2024_14)
    modele.pk = None
    modele.prestation = prestation

    message = _refuse(lambda: Tarif.objects.bulk_create([modele]))

    assert "grille publiée ne peut plus être modifiée" in message


def test_the_database_refuses_to_replace_a_published_grid_row(grille_2024_14):
    tarif = _prix_domaine(grille_2024_14)

    message = _refuse(remplacer("tarifs_tarif", tarif.pk, "prix_unitaire", "1"))

    assert "grille publiée" in message
    assert _prix_domaine(grille_2024_14).prix_unitaire == tarif.prix_unitaire


@pytest.mark.parametrize("table", ["tarifs_grilletarifaire", "tarifs_tarif"])
def test_the_database_refuses_to_empty_a_table_of_a_published_grid(
    grille_2024_14, table
):
    assert "grille publiée" in _refuse(vider(table))
    assert _prix_domaine(grille_2024_14).prix_unitaire > 0


def test_the_database_lets_a_draft_grid_change(grille_2024_14):
    brouillon = grille_dupliquer(grille=grille_2024_14)
    tarif = _prix_domaine(brouillon)

    Tarif.objects.filter(pk=tarif.pk).update(prix_unitaire=Decimal("19.50"))
    GrilleTarifaire.objects.filter(pk=brouillon.pk).update(reference="2025/01")
    Palier.objects.filter(bareme__grille=brouillon).delete()

    assert _prix_domaine(brouillon).prix_unitaire == Decimal("19.50")
    assert _prix_domaine(grille_2024_14).prix_unitaire == tarif.prix_unitaire
    assert not Palier.objects.filter(bareme__grille=brouillon).exists()
