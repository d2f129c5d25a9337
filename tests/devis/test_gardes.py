"""Après l'émission, rien d'imprimé ne change : garde du modèle et déclencheurs
de base de données (PostgreSQL et SQLite), chacun prouvé séparément."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection

from devis import services
from devis.models import Devis, DevisVerrouille, LigneDevis
from tests.base_de_donnees import refus_de_la_base, remplacer, vider

pytestmark = pytest.mark.django_db


_refuse_par_la_base = refus_de_la_base


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

    # Le retour au brouillon est aussi une transition interdite : l'une ou
    # l'autre garde répond, selon l'ordre où le moteur les déclenche.
    assert (
        "Un devis émis ne peut plus être modifié" in message
        or "changement d'état du devis n'est pas permis" in message
    )
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


# --- Transitions d'état, réponse figée, remplacement et vidage ---


@pytest.mark.parametrize(
    "chemin, arrivee",
    [
        ((("refuse", {"refus_motif": "Trop cher"}),), "emis"),
        ((("refuse", {"refus_motif": "Trop cher"}),), "accepte"),
        ((("accepte", {"signataire_nom": "Camille"}),), "refuse"),
        ((("accepte", {"signataire_nom": "Camille"}),), "emis"),
        ((("expire", {}),), "accepte"),
        ((("annule", {"annulation_motif": "Erreur"}),), "emis"),
        ((("annule", {"annulation_motif": "Erreur"}),), "accepte"),
    ],
    ids=lambda valeur: valeur if isinstance(valeur, str) else valeur[0][0],
)
def test_the_database_refuses_a_state_change_the_services_never_make(
    devis_emis, chemin, arrivee
):
    devis = Devis.objects.filter(pk=devis_emis.pk)
    for etat, colonnes in chemin:  # transitions permises : elles passent
        devis.update(statut=etat, **colonnes)

    message = _refuse_par_la_base(lambda: devis.update(statut=arrivee))

    assert "changement d'état du devis n'est pas permis" in message
    assert devis.get().statut == chemin[-1][0]


def test_the_database_refuses_to_rewrite_a_recorded_answer(devis_emis):
    devis = Devis.objects.filter(pk=devis_emis.pk)
    devis.update(statut=Devis.Statut.ACCEPTE, signataire_nom="Camille Exemple")

    message = _refuse_par_la_base(lambda: devis.update(signataire_nom="Faux"))

    assert "réponse à un devis ne se modifie plus" in message
    assert devis.get().signataire_nom == "Camille Exemple"


def test_the_database_refuses_to_replace_an_issued_devis_row(devis_emis):
    """Même ligne, total changé, par une insertion en conflit sur la clé :
    refusé, rien ne change."""
    total = devis_emis.total_annuel
    assert total != Decimal("1.00")

    message = _refuse_par_la_base(
        remplacer("devis_devis", devis_emis.pk, "total_annuel", "1")
    )

    assert "Un devis émis ne peut plus être modifié" in message
    devis_emis.refresh_from_db()
    assert devis_emis.total_annuel == total
    assert devis_emis.lignes.count() == 2


def test_the_database_refuses_to_replace_a_line_of_an_issued_devis(devis_emis):
    ligne = devis_emis.lignes.first()

    message = _refuse_par_la_base(
        remplacer("devis_lignedevis", ligne.pk, "montant", "0")
    )

    assert "lignes d'un devis émis" in message
    assert LigneDevis.objects.get(pk=ligne.pk).montant == ligne.montant


@pytest.mark.parametrize(
    "table", ["devis_devis", "devis_lignedevis", "conventions_collectivite"]
)
def test_the_database_refuses_to_empty_a_table_holding_an_issued_devis(
    devis_emis, table
):
    """PostgreSQL : ``TRUNCATE … CASCADE`` (la cascade atteint les devis) ;
    SQLite, qui n'a pas TRUNCATE : ``DELETE`` sans condition."""
    if table == "conventions_collectivite" and connection.vendor != "postgresql":
        pytest.skip("la cascade d'un TRUNCATE n'existe que sous PostgreSQL")

    message = _refuse_par_la_base(vider(table))

    # La cascade atteint aussi la convention signée de la commune : sa garde
    # peut répondre la première.
    assert "devis émis" in message or "convention partie en signature" in message
    assert Devis.objects.filter(pk=devis_emis.pk).exists()
    assert devis_emis.lignes.count() == 2
