"""Reconstruit conventions/data/referentiel-62.json depuis le paquet npm d'Etalab.

Les règles de construction sont dans conventions/referentiel.py ; cette commande
ne fait que récupérer l'archive (npm pack, ou --archive hors ligne), en lire les
deux fichiers JSON sans rien extraire sur le disque, et écrire le résultat avec
sa notice en Markdown.
"""

from __future__ import annotations

import datetime
import json
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from conventions.referentiel import (
    MILLESIMES,
    SOURCE,
    DonneesIncoherentes,
    construire_referentiel,
    serialiser,
    verifier_comptes,
)

VERSION_PAR_DEFAUT = "6.0.0"
DEPARTEMENT = "62"
DELAI_NPM = 180  # secondes : l'archive fait environ 2 Mo
TAILLE_MAX = 100 * 1024 * 1024  # un fichier de l'archive au-delà est suspect
FICHIERS = {
    "paquet": "package/package.json",
    "communes": "package/data/communes.json",
    "epci": "package/data/epci.json",
}
AIDE_SANS_NPM = (
    "Installez Node.js et npm (https://nodejs.org, ou « apt-get install npm »), "
    "ou bien, sur une machine qui a accès au registre npm, lancez "
    "« npm pack {paquet}@{version} », copiez l'archive .tgz ici et relancez "
    "avec « --archive FICHIER.tgz »."
)


class Command(BaseCommand):
    help = (
        "Reconstruit le référentiel des communes et EPCI du Pas-de-Calais "
        f"depuis le paquet npm {SOURCE}."
    )

    def create_parser(self, prog_name, subcommand, **kwargs):
        # Django réserve --version (celle de Django) ; ici --version est celle du
        # paquet npm, comme dans « npm pack paquet@version ».
        kwargs.setdefault("conflict_handler", "resolve")
        return super().create_parser(prog_name, subcommand, **kwargs)

    def add_arguments(self, parser):
        parser.add_argument(
            "--version",
            dest="version_paquet",
            default=None,
            help=f"Version du paquet (par défaut {VERSION_PAR_DEFAUT} ; avec "
            "--archive, celle de l'archive).",
        )
        parser.add_argument(
            "--archive",
            type=Path,
            default=None,
            help="Archive .tgz déjà téléchargée (npm pack) : fonctionne hors ligne.",
        )
        parser.add_argument(
            "--sortie",
            type=Path,
            default=Path(settings.BASE_DIR) / "conventions/data/referentiel-62.json",
            help="Fichier JSON à écrire ; la notice .md est écrite à côté.",
        )
        parser.add_argument(
            "--millesime",
            type=int,
            default=None,
            help="Millésime des populations, obligatoire pour une version du "
            f"paquet inconnue ({', '.join(sorted(MILLESIMES))} connues).",
        )

    def handle(self, *args, version_paquet, archive, sortie, millesime, **options):
        if archive is not None:
            paquet, communes, epcis = lire_archive(archive)
        else:
            paquet, communes, epcis = telecharger(version_paquet or VERSION_PAR_DEFAUT)

        version = paquet.get("version")
        if version_paquet and version != version_paquet:
            raise CommandError(
                f"L'archive contient la version {version} du paquet, "
                f"pas la version {version_paquet} demandée."
            )
        if millesime is None:
            millesime = MILLESIMES.get(version)
        if millesime is None:
            raise CommandError(
                f"Millésime des populations inconnu pour la version {version} : "
                "lisez le README du paquet et passez --millesime ANNEE."
            )

        try:
            referentiel = construire_referentiel(
                communes, epcis, version=version, millesime=millesime
            )
        except DonneesIncoherentes as erreur:
            raise CommandError(f"Données du paquet incohérentes : {erreur}") from None
        ecarts = verifier_comptes(referentiel)
        if ecarts:
            raise CommandError(
                f"Comptes inattendus pour la version {version} : "
                + " ; ".join(ecarts)
                + ". Rien n'a été écrit."
            )

        sortie.parent.mkdir(parents=True, exist_ok=True)
        sortie.write_text(serialiser(referentiel), encoding="utf-8")
        notice = sortie.with_suffix(".md")
        notice.write_text(
            rediger_notice(referentiel, paquet, sortie, datetime.date.today()),
            encoding="utf-8",
        )

        hors_epci = sum(
            1 for c in referentiel["communes"] if c["population_source"] == "commune"
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"{len(referentiel['communes'])} communes et "
                f"{len(referentiel['epci'])} EPCI du {DEPARTEMENT} "
                f"({SOURCE} {version}, populations {millesime}) écrits dans "
                f"{sortie}."
            )
        )
        self.stdout.write(
            f"Communes hors de tout EPCI (population du fichier des communes) : "
            f"{hors_epci}."
        )


def telecharger(version: str) -> tuple[dict, list, list]:
    """npm pack dans un dossier temporaire, puis lecture de l'archive."""
    npm = shutil.which("npm")
    if npm is None:
        raise CommandError(
            "npm est introuvable. "
            + AIDE_SANS_NPM.format(paquet=SOURCE, version=version)
        )
    with tempfile.TemporaryDirectory(prefix="referentiel-") as dossier:
        try:
            resultat = subprocess.run(
                [npm, "pack", f"{SOURCE}@{version}", "--ignore-scripts", "--silent"],
                cwd=dossier,
                capture_output=True,
                text=True,
                timeout=DELAI_NPM,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as erreur:
            raise CommandError(
                f"npm pack a échoué ({erreur}). "
                + AIDE_SANS_NPM.format(paquet=SOURCE, version=version)
            ) from None
        archives = sorted(Path(dossier).glob("*.tgz"))
        if resultat.returncode != 0 or len(archives) != 1:
            detail = (resultat.stderr or resultat.stdout).strip()[-500:]
            raise CommandError(
                f"npm pack {SOURCE}@{version} a échoué (code "
                f"{resultat.returncode}) : {detail or 'aucune archive produite'}. "
                + AIDE_SANS_NPM.format(paquet=SOURCE, version=version)
            )
        return lire_archive(archives[0])


def lire_archive(chemin: Path) -> tuple[dict, list, list]:
    """Lit package.json, communes.json et epci.json d'une archive npm.

    Rien n'est extrait sur le disque : les trois membres sont lus en mémoire par
    leur nom exact, ce qui écarte toute traversée de chemin et tout lien.
    """
    try:
        with tarfile.open(chemin, mode="r:gz") as archive:
            contenus = {
                cle: _lire_membre(archive, nom) for cle, nom in FICHIERS.items()
            }
    except (OSError, tarfile.TarError) as erreur:
        raise CommandError(f"Archive illisible {chemin} : {erreur}") from None
    try:
        paquet, communes, epcis = (
            json.loads(contenus[cle].decode("utf-8"))
            for cle in ("paquet", "communes", "epci")
        )
    except (UnicodeDecodeError, json.JSONDecodeError) as erreur:
        raise CommandError(f"JSON illisible dans {chemin} : {erreur}") from None
    if paquet.get("name") != SOURCE:
        raise CommandError(
            f"{chemin} n'est pas le paquet {SOURCE} (nom : {paquet.get('name')})."
        )
    return paquet, communes, epcis


def _lire_membre(archive: tarfile.TarFile, nom: str) -> bytes:
    try:
        membre = archive.getmember(nom)
    except KeyError:
        raise CommandError(f"L'archive ne contient pas {nom}.") from None
    if not membre.isfile():
        raise CommandError(f"{nom} n'est pas un fichier ordinaire dans l'archive.")
    if membre.size > TAILLE_MAX:
        raise CommandError(f"{nom} est anormalement gros ({membre.size} octets).")
    return archive.extractfile(membre).read()


def rediger_notice(
    referentiel: dict, paquet: dict, sortie: Path, date: datetime.date
) -> str:
    """La notice Markdown écrite à côté du fichier JSON."""
    version = referentiel["version"]
    hors_epci = sum(
        1 for c in referentiel["communes"] if c["population_source"] == "commune"
    )
    a_cheval = [e for e in referentiel["epci"] if e["membres_hors_departement"]]
    lignes_cheval = (
        "".join(
            f"- {e['nom']} ({e['siren']}) : {len(e['communes'])} communes dans le "
            f"{referentiel['departement']}, {e['membres_hors_departement']} ailleurs\n"
            for e in a_cheval
        )
        or "- aucun\n"
    )
    return f"""# Référentiel des communes et EPCI du Pas-de-Calais

Fichier : `{sortie.name}`, construit le {date.isoformat()} par
`python manage.py construire_referentiel`.

## Source

- Paquet npm `{SOURCE}` version {version}
  ({paquet.get("repository", "https://github.com/etalab/decoupage-administratif")}),
  fichiers `data/communes.json` et `data/epci.json`.
- Données d'origine : code officiel géographique et populations de référence de
  l'INSEE, liste et composition des EPCI à fiscalité propre de la DGCL
  (epcicom), codes postaux de La Poste.

## Licence

- Paquet : licence **{paquet.get("license", "?")}** (champ `license` de
  `package.json`, fichier `LICENSE` : « Copyright (c) 2018-2019 Etalab »).
- Données : **Licence Ouverte / Open Licence d'Etalab** selon le README du
  paquet (« Données : Licence Ouverte », lien vers
  https://www.etalab.gouv.fr/licence-ouverte-open-licence ; le README ne précise
  pas le numéro de version, la version en vigueur de cette licence est la 2.0).
  Réutilisation libre, sous réserve de citer la source : « INSEE, DGCL, La Poste,
  via {SOURCE} {version} ».

Champ `licence` du JSON : « {referentiel["licence"]} ».

## Millésime des populations : {referentiel["millesime"]}

Les fichiers JSON ne portent pas de millésime. Le README du paquet associe la
version {version} à l'année 2026 ; les populations des communes viennent des
lignes `membres` de `epci.json` (fichier epcicom de la DGCL, colonnes
`ptot_…`/`pmun_…`), c'est-à-dire les populations de référence INSEE au
1er janvier {referentiel["millesime"]}, en vigueur au
1er janvier {referentiel["millesime"] + 3}.
La catégorie d'une commune se calcule sur `population_totale`.

Attention : le champ `population` de `communes.json` (population municipale
INSEE) ne coïncide pas avec la population municipale des `membres` pour la
plupart des communes ; il ne sert ici qu'aux communes hors de tout EPCI
(`population_source = "commune"`, totale = municipale faute de mieux).

## Contenu

- Département : {referentiel["departement"]}
- Communes (type `commune-actuelle` ; communes déléguées et associées exclues) :
  {len(referentiel["communes"])}
- EPCI à fiscalité propre ayant au moins une commune dans le département :
  {len(referentiel["epci"])}
- Communes hors de tout EPCI : {hors_epci}
- EPCI à cheval sur plusieurs départements (population totale entière, seules
  les communes du {referentiel["departement"]} listées) :

{lignes_cheval}
Champs d'une commune : `code_insee`, `nom`, `siren`, `codes_postaux`,
`arrondissement` (code INSEE, ex. 622 = Béthune), `population_totale`,
`population_municipale`, `population_source` (`epci` ou `commune`),
`epci_siren`. Champs d'un EPCI : `siren`, `nom`, `type` (CC, CA, CU…),
`population_totale`, `communes` (codes INSEE), `membres_hors_departement`.

## Reconstruire

```
python manage.py construire_referentiel --version {version}
```

La commande lance `npm pack {SOURCE}@{version}` dans un dossier temporaire
(Node.js et npm requis). Hors ligne : récupérez l'archive ailleurs avec la même
commande `npm pack`, copiez-la ici, puis

```
python manage.py construire_referentiel \\
    --archive etalab-decoupage-administratif-{version}.tgz
```

Pour une nouvelle version du paquet, passez aussi `--millesime ANNEE` (lu dans
son README) tant que `conventions/referentiel.py` ne la connaît pas.
"""
