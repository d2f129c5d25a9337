"""Après l'émission, rien d'imprimé ne change : garde du modèle et déclencheurs
de base de données (PostgreSQL et SQLite), chacun prouvé séparément."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import DatabaseError, connection, transaction

from devis import services
from devis.models import Devis, DevisVerrouille, LigneDevis

pytestmark = pytest.mark.django_db


def _refuse_par_la_base(operation) -> str:
    """Exécute ``operation`` et renvoie le message de l'erreur de la base."""
    with pytest.raises(DatabaseError) as erreur, transaction.atomic():
        operation()
    return str(erreur.value)


# --- Garde du modèle ---


def test_the_model_refuses_to_save_a_changed_frozen_field(devis_emis):
    devis_emis.total_annuel = Decimal("1.00")

    with pytest.raises(DevisVerrouille, match="total_annuel"):
        devis_emis.save()


def test_the_model_refuses_to_delete_an_issued_devis(devis_emis):
    with pytest.raises(DevisVerrouille):
        devis_emis.delete()


def test_the_model_refuses_to_touch_the_lines_of_an_issued_devis(devis_emis):
    ligne = devis_emis.lignes.first()
    ligne.montant = Decimal("1.00")

    with pytest.raises(DevisVerrouille):
        ligne.save()
    with pytest.raises(DevisVerrouille):
        ligne.delete()
    with pytest.raises(DevisVerrouille):
        LigneDevis(
            devis=devis_emis,
            code="ajout",
            libelle="Ajout",
            quantite=1,
            periodicite="unique",
            mode="tarif",
        ).save()


def test_the_model_lets_the_status_change(devis_emis, alice_agent):
    services.devis_annuler(devis=devis_emis, motif="Erreur de saisie.", par=alice_agent)

    devis_emis.refresh_from_db()
    assert devis_emis.statut == Devis.Statut.ANNULE


# --- Déclencheurs de base de données (le modèle contourné) ---


@pytest.mark.parametrize(
    "champs",
    [
        {"total_annuel": Decimal("1.00")},
        {"numero": "LFN5962-1999-9999"},
        {"sequence": 99},
        {"date_validite": None},
        {"emetteur_fige": {}},
        {"destinataire_fige": {"nom": "Autre"}},
        {"grille_fige": {}},
        {"mention_inclus": "autre"},
        {"pdf": "devis/autre.pdf"},
        {"pdf_sha256": "0" * 64},
        {"statut": Devis.Statut.BROUILLON},
    ],
    ids=lambda champs: next(iter(champs)),
)
def test_the_database_refuses_to_update_a_frozen_column(devis_emis, champs):
    message = _refuse_par_la_base(
        lambda: Devis.objects.filter(pk=devis_emis.pk).update(**champs)
    )

    assert "Un devis émis ne peut plus être modifié" in message
    devis_emis.refresh_from_db()
    assert devis_emis.statut == Devis.Statut.EMIS


def test_the_database_refuses_to_delete_an_issued_devis(devis_emis):
    def supprimer():
        with connection.cursor() as curseur:
            curseur.execute("DELETE FROM devis_devis WHERE id = %s", [devis_emis.pk])

    message = _refuse_par_la_base(supprimer)

    assert "ne se supprime pas" in message
    assert Devis.objects.filter(pk=devis_emis.pk).exists()


def test_the_database_refuses_to_change_the_lines_of_an_issued_devis(devis_emis):
    lignes = LigneDevis.objects.filter(devis=devis_emis)

    for operation in (
        lambda: lignes.update(montant=Decimal("1.00")),
        lambda: lignes.delete(),
        lambda: LigneDevis.objects.bulk_create(
            [
                LigneDevis(
                    devis=devis_emis,
                    code="ajout",
                    libelle="Ajout",
                    quantite=1,
                    periodicite="unique",
                    mode="tarif",
                )
            ]
        ),
    ):
        assert "lignes d'un devis émis" in _refuse_par_la_base(operation)
    assert lignes.count() == 2


def test_the_database_lets_status_and_answer_columns_change(devis_emis):
    Devis.objects.filter(pk=devis_emis.pk).update(
        statut=Devis.Statut.ACCEPTE, signataire_nom="Camille Exemple"
    )

    devis_emis.refresh_from_db()
    assert (devis_emis.statut, devis_emis.signataire_nom) == (
        Devis.Statut.ACCEPTE,
        "Camille Exemple",
    )


def test_the_database_lets_a_draft_and_its_lines_change(brouillon_fibre):
    Devis.objects.filter(pk=brouillon_fibre.pk).update(total_annuel=Decimal("1.00"))
    LigneDevis.objects.filter(devis=brouillon_fibre).update(quantite=2)
    LigneDevis.objects.filter(devis=brouillon_fibre).delete()
    with connection.cursor() as curseur:
        curseur.execute(
            "DELETE FROM devis_evenementdevis WHERE devis_id = %s", [brouillon_fibre.pk]
        )
        curseur.execute("DELETE FROM devis_devis WHERE id = %s", [brouillon_fibre.pk])

    assert not Devis.objects.filter(pk=brouillon_fibre.pk).exists()
