"""Grilles versionnées : chargement, sélection par date, garde de publication."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import IntegrityError, transaction

from tarifs import calcul
from tarifs.chargement import grille_charger_fichier
from tarifs.models import (
    Categorie,
    GrilleTarifaire,
    GrilleVerrouillee,
    Palier,
    Prestation,
    Tarif,
)
from tarifs.selectors import grille_en_vigueur, grille_instantane
from tarifs.services import grille_dupliquer, grille_publier
from tests.conftest import FICHIER_GRILLE


def nouvelle_version(grille, *, date_effet, prix_domaine=None):
    copie = grille_dupliquer(grille=grille)
    copie.reference = "2025/99"
    copie.date_effet = date_effet
    copie.save()
    if prix_domaine is not None:
        tarif = Tarif.objects.get(
            prestation__grille=copie, prestation__code="nom-de-domaine"
        )
        tarif.prix_unitaire = Decimal(prix_domaine)
        tarif.save()
    return copie


def test_the_grid_file_loads_every_code_of_both_tables(grille_2024_14):
    codes = set(grille_2024_14.prestations.values_list("code", flat=True))
    assert len(codes) == 19
    assert {
        "forfait-categorie",
        "forfait-categorie-mise-en-service",
        "antivirus-mise-en-service",
        "sauvegarde-go-supplementaire",
    } <= codes
    assert grille_2024_14.categories.count() == 9
    assert grille_2024_14.est_publiee
    assert grille_2024_14.lignes_derivees.get().code == "messagerie-accompagnement"


def test_loading_twice_changes_nothing(grille_2024_14):
    resultat = grille_charger_fichier(FICHIER_GRILLE)
    assert resultat.action == "inchangée"
    assert resultat.grille.pk == grille_2024_14.pk
    assert GrilleTarifaire.objects.count() == 1
    call_command("charger_grille")
    assert Prestation.objects.count() == 19


def test_the_grid_in_force_is_the_latest_published_before_the_date(grille_2024_14):
    suivante = nouvelle_version(grille_2024_14, date_effet=date(2025, 1, 1))
    assert grille_en_vigueur(date(2024, 12, 31)) == grille_2024_14
    # Un brouillon n'est jamais en vigueur.
    assert grille_en_vigueur(date(2025, 6, 1)) == grille_2024_14
    grille_publier(grille=suivante)
    assert grille_en_vigueur(date(2025, 1, 1)) == suivante
    assert grille_en_vigueur(date(2030, 1, 1)) == suivante
    assert grille_en_vigueur(date(2024, 3, 26)) == grille_2024_14


def test_there_is_no_grid_before_the_first_one(grille_2024_14):
    assert grille_en_vigueur(date(2024, 3, 25)) is None


def test_a_new_version_changes_prices_only_from_its_effective_date(grille_2024_14):
    suivante = nouvelle_version(
        grille_2024_14, date_effet=date(2025, 1, 1), prix_domaine="18.00"
    )
    grille_publier(grille=suivante)
    demande = [calcul.LigneDemandee("nom-de-domaine", 2)]
    avant = calcul.chiffrer(
        grille_instantane(grille_en_vigueur(date(2024, 6, 1))), demande
    )
    apres = calcul.chiffrer(
        grille_instantane(grille_en_vigueur(date(2025, 6, 1))), demande
    )
    assert avant.pour("fibre").total_annuel == Decimal("30.00")
    assert apres.pour("fibre").total_annuel == Decimal("36.00")


def test_a_published_grid_refuses_every_change(grille_2024_14):
    grille_2024_14.reference = "truquée"
    with pytest.raises(GrilleVerrouillee):
        grille_2024_14.save()
    with pytest.raises(GrilleVerrouillee):
        grille_2024_14.delete()
    tarif = Tarif.objects.filter(prestation__grille=grille_2024_14).first()
    tarif.prix_unitaire = Decimal("1.00")
    with pytest.raises(GrilleVerrouillee):
        tarif.save()
    with pytest.raises(GrilleVerrouillee):
        Palier.objects.filter(bareme__grille=grille_2024_14).first().delete()
    with pytest.raises(GrilleVerrouillee):
        Prestation.objects.create(
            grille=grille_2024_14, code="ajout", libelle="x", section="x", unite="x"
        )
    grille_2024_14.refresh_from_db()
    assert grille_2024_14.reference == "2024/14"


def test_two_published_grids_cannot_share_an_effective_date(grille_2024_14):
    copie = grille_dupliquer(grille=grille_2024_14)
    with pytest.raises(ValidationError, match="déjà publiée"):
        grille_publier(grille=copie)
    # La contrainte de base de données tient même sans passer par le service.
    with pytest.raises(IntegrityError), transaction.atomic():
        GrilleTarifaire.objects.filter(pk=copie.pk).update(statut="publiee")


def test_a_duplicate_is_a_full_independent_draft(grille_2024_14):
    copie = grille_dupliquer(grille=grille_2024_14)
    assert copie.statut == GrilleTarifaire.Statut.BROUILLON
    original = grille_instantane(grille_2024_14)
    dupliquee = grille_instantane(copie)
    assert dupliquee.prestations == original.prestations
    assert dupliquee.categories == original.categories
    assert dupliquee.lignes_derivees == original.lignes_derivees


def test_publishing_checks_the_grid(grille_2024_14):
    copie = nouvelle_version(grille_2024_14, date_effet=date(2026, 1, 1))
    Categorie.objects.filter(grille=copie, code="C").update(population_min=2500)
    with pytest.raises(ValidationError) as exc:
        grille_publier(grille=copie)
    assert any("Catégorie C" in m for m in exc.value.messages)
    copie.refresh_from_db()
    assert copie.statut == GrilleTarifaire.Statut.BROUILLON


def test_a_published_grid_cannot_be_published_again(grille_2024_14):
    with pytest.raises(ValidationError, match="déjà publiée"):
        grille_publier(grille=grille_2024_14)


def test_no_tariff_amount_is_written_in_python_code():
    from pathlib import Path

    import tarifs

    sources = "".join(p.read_text() for p in Path(tarifs.__file__).parent.glob("*.py"))
    for montant in ("76.80", "172.80", "463", "10212", "2553", "1277"):
        assert montant not in sources
