"""Banc d'essai de l'émission concurrente (issue 13) — lancé à la main, imprime
ses chiffres.

    .venv/bin/python bench/bench_emission.py [--devis 40]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cdg62_bench \\
        .venv/bin/python bench/bench_emission.py      # ou PostgreSQL

Base jetable (grille 2024/14, référentiel, émetteurs de démonstration), une
convention signée par commune, puis ``--devis`` brouillons de La Fibre (un seul
émetteur, donc un seul compteur) émis par un worker, puis autant par deux
workers (deux processus, comme deux ``db_worker``). Le numéro étant réservé
avant le rendu du PDF et le compteur libéré aussitôt, deux workers d'un même
émetteur ne s'attendent plus : le rapport deux workers / un worker approche
1/2 sur deux cœurs (mesuré avant : 100 s à deux workers sur un émetteur contre
66 s sur deux émetteurs, pour 40 émissions).
"""

from __future__ import annotations

import argparse
import datetime
import multiprocessing
import os
import sys
import time
from pathlib import Path

RACINE = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(RACINE))

from bench.base_jetable import preparer_environnement  # noqa: E402


def peupler(nombre: int) -> list[list[int]]:
    """Deux lots de ``nombre`` brouillons de La Fibre (un devis par commune)."""
    from comptes.models import Utilisateur
    from conventions import demo
    from conventions.models import Collectivite, Convention
    from devis import services
    from tarifs.calcul import LigneDemandee
    from tarifs.models import GrilleTarifaire

    demo.completer_emetteurs()
    demo.publier_termes_demo()
    agent, _ = Utilisateur.objects.get_or_create(
        email="agent-bench@cdg62.fr", defaults={"role": Utilisateur.Role.AGENT}
    )
    grille = GrilleTarifaire.objects.get(reference="2024/14")
    communes = list(Collectivite.objects.filter(type="commune").order_by("pk"))[
        : 2 * nombre
    ]
    Collectivite.objects.filter(pk__in=[c.pk for c in communes]).update(
        adresse="Place de la Mairie", code_postal="62000", ville="Mairie"
    )
    Convention.objects.bulk_create(
        Convention(
            collectivite=c,
            grille=grille,
            statut="signee",
            date_effet=datetime.date(2025, 3, 1),
        )
        for c in communes
    )
    brouillons = []
    for commune in communes:
        (devis,) = services.devis_creer_brouillons(
            collectivite=commune,
            lignes=[LigneDemandee("nom-de-domaine", 1)],
            par=agent,
        )
        brouillons.append(devis.pk)
    return [brouillons[:nombre], brouillons[nombre:]]


def emettre(pks: list[int]) -> None:
    import django

    django.setup()
    from comptes.models import Utilisateur
    from devis import services
    from devis.models import Devis

    agent = Utilisateur.objects.get(email="agent-bench@cdg62.fr")
    for pk in pks:
        services.devis_emettre(devis=Devis(pk=pk), par=agent)


def chronometrer(lots: list[list[int]]) -> float:
    from django.db import connections

    connections.close_all()
    debut = time.perf_counter()
    with multiprocessing.get_context("fork").Pool(len(lots)) as pool:
        pool.map(emettre, lots)
    return time.perf_counter() - debut


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--devis", type=int, default=40)
    args = parser.parse_args()
    env = preparer_environnement([["charger_grille"], ["charger_referentiel"]])
    os.environ.update(env)
    import django

    django.setup()
    from devis.models import Devis

    seul, deux = peupler(args.devis)
    moteur = env["DATABASE_URL"].split(":")[0]
    un_worker = chronometrer([seul])
    moitie = len(deux) // 2
    deux_workers = chronometrer([deux[:moitie], deux[moitie:]])
    sequences = sorted(
        Devis.objects.filter(statut="emis").values_list("sequence", flat=True)
    )
    sans_trou = sequences == list(range(1, len(sequences) + 1))
    print(
        f"{args.devis} émissions, un émetteur ({moteur}) : un worker "
        f"{un_worker:.1f} s, deux workers {deux_workers:.1f} s "
        f"(rapport {deux_workers / un_worker:.2f}) ; numéros 1…{len(sequences)} "
        f"{'sans trou' if sans_trou else 'AVEC TROU'}"
    )


if __name__ == "__main__":
    main()
