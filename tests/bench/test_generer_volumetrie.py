"""``bench/…/generer_volumetrie`` : le jeu de données du banc d'essai à l'échelle."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from bench.management.commands.generer_volumetrie import Command
from conventions.models import Adhesion, Collectivite, Convention
from devis.models import Devis


def test_it_seeds_collectivites_conventions_and_devis(grille_2024_14, capsys):
    call_command(Command(), collectivites=20, devis=40)
    assert Collectivite.objects.count() == 20
    assert Convention.objects.count() == 20
    assert Devis.objects.count() == 40
    assert Devis.objects.exclude(statut=Devis.Statut.BROUILLON).exists()
    assert (
        Adhesion.objects.filter(utilisateur__email="volumetrie@exemple.test").count()
        == 3
    )
    assert (
        "20 collectivités, 20 conventions, 40 devis créés." in capsys.readouterr().out
    )


def test_it_refuses_a_database_that_already_has_collectivites(grille_2024_14):
    call_command(Command(), collectivites=5, devis=10)
    with pytest.raises(CommandError, match="base jetable requise"):
        call_command(Command(), collectivites=5, devis=10)


def test_it_needs_a_grid_in_force(db):
    with pytest.raises(CommandError, match="Chargez d'abord une grille"):
        call_command(Command(), collectivites=5, devis=10)
