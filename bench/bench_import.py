"""Banc d'essai de l'import CSV des collectivités (issue 15) — lancé à la main,
imprime ses chiffres.

    .venv/bin/python bench/bench_import.py [--archive etalab-….tgz]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cdg62_bench \\
        .venv/bin/python bench/bench_import.py      # cible mesurée sur PostgreSQL

Les 34 969 communes de France (``communes.json`` du paquet npm
``@etalab/decoupage-administratif``, récupéré par ``npm pack`` ou donné par
``--archive``) sont converties en CSV « à la INSEE » (code commune, libellé,
population totale, SIREN), puis importées dans une base jetable par
``collectivites_importer_csv``, deux fois : premier import, puis ré-import du
même fichier. Cibles : ≤ 60 s, puis ≤ 20 s. Les homonymes (même nom, autre
département) sont signalés sans création, comme dans l'application.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

RACINE = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(RACINE))

from bench.base_jetable import preparer_environnement  # noqa: E402

PAQUET = "@etalab/decoupage-administratif@6.0.0"


def communes(archive: Path | None) -> list[dict]:
    if archive is None:
        dossier = Path(tempfile.mkdtemp(prefix="cdg62-etalab-"))
        subprocess.run(["npm", "pack", PAQUET, "--silent"], cwd=dossier, check=True)
        archive = next(dossier.glob("*.tgz"))
    with tarfile.open(archive) as paquet:
        donnees = json.load(paquet.extractfile("package/data/communes.json"))
    return [c for c in donnees if c.get("type") == "commune-actuelle"]


def en_csv(liste: list[dict]) -> bytes:
    sortie = io.StringIO()
    ecrivain = csv.writer(sortie, delimiter=";")
    ecrivain.writerow(["Code commune", "Libellé", "Population totale", "SIREN"])
    for c in liste:
        ecrivain.writerow(
            [c["code"], c["nom"], c.get("population", ""), c.get("siren", "")]
        )
    return sortie.getvalue().encode("utf-8")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--archive", type=Path, default=None)
    args = parser.parse_args()
    liste = communes(args.archive)
    contenu = en_csv(liste)
    env = preparer_environnement([])
    os.environ.update(env)
    import django

    django.setup()
    from conventions.import_csv import collectivites_importer_csv
    from conventions.models import Collectivite

    moteur = env["DATABASE_URL"].split(":")[0]
    print(
        f"{len(liste)} communes de France, CSV de {len(contenu) // 1024} Kio ({moteur})"
    )
    for passe, cible in (("premier import", 60), ("ré-import", 20)):
        debut = time.perf_counter()
        rapport = collectivites_importer_csv(contenu=contenu, annee_population=2021)
        duree = time.perf_counter() - debut
        print(f"{passe} : {duree:.1f} s (cible ≤ {cible} s) — {rapport.resume()}")
    lignes = Collectivite.history.count()
    print(f"{Collectivite.objects.count()} collectivités, {lignes} lignes d'historique")


if __name__ == "__main__":
    main()
