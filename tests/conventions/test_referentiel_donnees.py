"""Référentiel officiel du 62 : constructeur pur, fichier livré, commande, recherche."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from stdnum.fr import siren

from conventions.management.commands import construire_referentiel as commande
from conventions.recherche import normaliser
from conventions.referentiel import (
    DonneesIncoherentes,
    construire_referentiel,
    serialiser,
)

FICHIER_LIVRE = Path(settings.BASE_DIR) / "conventions/data/referentiel-62.json"

# Données minuscules au format du paquet : Ruitz dans une CA du 62, une commune
# hors de tout EPCI, une commune déléguée, une commune du Nord, une CC à cheval
# sur le 59 et le 62, et une CC entièrement dans le Nord.
COMMUNES = [
    {
        "code": "62727",
        "nom": "Ruitz",
        "departement": "62",
        "type": "commune-actuelle",
        "arrondissement": "622",
        "siren": "216207274",
        "codesPostaux": ["62620"],
        "population": 1478,
    },
    {
        "code": "62338",
        "nom": "Hinges-Lys",
        "departement": "62",
        "type": "commune-actuelle",
        "arrondissement": "622",
        "siren": "216203380",
        "codesPostaux": ["62232", "62120"],
        "population": 2000,
    },
    {
        "code": "62999",
        "nom": "Île-Seule",
        "departement": "62",
        "type": "commune-actuelle",
        "arrondissement": "623",
        "siren": "216209999",
        "codesPostaux": ["62999"],
        "population": 120,
    },
    {
        "code": "62447",
        "nom": "Hesdin",
        "departement": "62",
        "type": "commune-deleguee",
        "chefLieu": "62447",
    },
    {
        "code": "59400",
        "nom": "Merville",
        "departement": "59",
        "type": "commune-actuelle",
        "arrondissement": "594",
        "siren": "215904004",
        "codesPostaux": ["59660"],
        "population": 9700,
    },
]


def membre(code, siren_membre, nom, totale, municipale):
    return {
        "code": code,
        "siren": siren_membre,
        "nom": nom,
        "populationTotale": totale,
        "populationMunicipale": municipale,
    }


EPCIS = [
    {
        "code": "245900758",
        "nom": "CC Flandre Lys",
        "type": "CC",
        "populationTotale": 11900,
        "membres": [
            membre("59400", "215904004", "Merville", 9827, 9729),
            membre("62338", "216203380", "Hinges-Lys", 2073, 2050),
        ],
    },
    {
        "code": "200072460",
        "nom": "CA de Béthune-Bruay, Artois-Lys Romane",
        "type": "CA",
        "populationTotale": 278892,
        "membres": [membre("62727", "216207274", "Ruitz", 1517, 1493)],
    },
    {
        "code": "200093201",
        "nom": "CC du Nord seul",
        "type": "CC",
        "populationTotale": 5000,
        "membres": [membre("59001", "215900010", "Ailleurs", 5000, 4900)],
    },
]


def construire(communes=COMMUNES, epcis=EPCIS):
    return construire_referentiel(communes, epcis, version="6.0.0", millesime=2023)


def par_code(referentiel):
    return {c["code_insee"]: c for c in referentiel["communes"]}


def par_siren(referentiel):
    return {e["siren"]: e for e in referentiel["epci"]}


# --- Constructeur pur ---------------------------------------------------------


def test_it_takes_a_member_communes_population_from_its_epci():
    ruitz = par_code(construire())["62727"]

    assert ruitz == {
        "code_insee": "62727",
        "nom": "Ruitz",
        "siren": "216207274",
        "codes_postaux": ["62620"],
        "arrondissement": "622",
        "population_totale": 1517,
        "population_municipale": 1493,
        "population_source": "epci",
        "epci_siren": "200072460",
    }


def test_it_falls_back_to_the_communes_own_population_outside_every_epci():
    seule = par_code(construire())["62999"]

    assert seule["population_totale"] == 120
    assert seule["population_municipale"] == 120
    assert seule["population_source"] == "commune"
    assert seule["epci_siren"] is None


def test_it_keeps_only_current_communes_of_the_department():
    assert list(par_code(construire())) == ["62338", "62727", "62999"]


def test_it_keeps_a_straddling_epcis_full_population_but_only_its_62_communes():
    flandre_lys = par_siren(construire())["245900758"]

    assert flandre_lys == {
        "siren": "245900758",
        "nom": "CC Flandre Lys",
        "type": "CC",
        "population_totale": 11900,
        "communes": ["62338"],
        "membres_hors_departement": 1,
    }


def test_it_drops_epcis_without_any_commune_in_the_department():
    assert list(par_siren(construire())) == ["200072460", "245900758"]


def test_it_states_source_version_licence_and_millesime():
    referentiel = construire()

    assert referentiel["source"] == "@etalab/decoupage-administratif"
    assert referentiel["version"] == "6.0.0"
    assert referentiel["millesime"] == 2023
    assert referentiel["departement"] == "62"
    assert "MIT" in referentiel["licence"]
    assert "Licence Ouverte" in referentiel["licence"]


def test_it_sorts_postal_codes_and_is_deterministic():
    melangees = list(reversed(COMMUNES))
    referentiel = construire(communes=melangees, epcis=list(reversed(EPCIS)))

    assert par_code(referentiel)["62338"]["codes_postaux"] == ["62120", "62232"]
    assert serialiser(referentiel) == serialiser(construire())


def test_its_serialisation_is_valid_json_with_one_commune_per_line():
    texte = serialiser(construire())

    assert json.loads(texte) == construire()
    assert sum('"code_insee"' in ligne for ligne in texte.splitlines()) == 3


def test_it_refuses_a_commune_member_of_two_epcis():
    doublon = [*EPCIS, {**EPCIS[1], "code": "200000001"}]

    with pytest.raises(DonneesIncoherentes, match="62727 est membre de deux EPCI"):
        construire(epcis=doublon)


def test_it_refuses_an_epci_member_that_is_not_a_current_commune():
    deleguee = [{**EPCIS[1], "membres": [membre("62447", "216204471", "Hesdin", 1, 1)]}]

    with pytest.raises(DonneesIncoherentes, match="62447"):
        construire(epcis=deleguee)


# --- Le fichier livré ---------------------------------------------------------


@pytest.fixture(scope="module")
def livre():
    return json.loads(FICHIER_LIVRE.read_text(encoding="utf-8"))


def test_the_shipped_file_has_the_887_communes_and_20_epci_of_the_62(livre):
    assert len(livre["communes"]) == 887
    assert len(livre["epci"]) == 20
    assert livre["departement"] == "62"
    assert livre["version"] == "6.0.0"
    assert livre["millesime"] == 2023


def test_the_shipped_file_has_only_62_insee_codes_once_each(livre):
    codes = [c["code_insee"] for c in livre["communes"]]

    assert all(len(code) == 5 and code.startswith("62") for code in codes)
    assert codes == sorted(set(codes))


def test_every_siren_in_the_shipped_file_has_nine_digits_and_a_valid_key(livre):
    numeros = [c["siren"] for c in livre["communes"]] + [
        e["siren"] for e in livre["epci"]
    ]

    invalides = [n for n in numeros if not (len(n) == 9 and siren.is_valid(n))]
    assert invalides == []
    assert len(set(numeros)) == len(numeros)


def test_every_communes_epci_exists_and_lists_it_back(livre):
    epci = par_siren(livre)

    for commune in livre["communes"]:
        assert commune["epci_siren"] in epci, commune["code_insee"]
        assert commune["code_insee"] in epci[commune["epci_siren"]]["communes"]
    listees = sorted(code for e in livre["epci"] for code in e["communes"])
    assert listees == [c["code_insee"] for c in livre["communes"]]


def test_every_commune_of_the_shipped_file_has_a_population_from_its_epci(livre):
    for commune in livre["communes"]:
        assert commune["population_source"] == "epci"
        assert commune["population_totale"] >= commune["population_municipale"] > 0
        assert commune["codes_postaux"]
        assert commune["arrondissement"] in {f"62{n}" for n in range(1, 8)}


def test_ruitz_has_its_official_code_siren_and_population(livre):
    ruitz = par_code(livre)["62727"]

    assert ruitz["nom"] == "Ruitz"
    assert ruitz["siren"] == "216207274"
    assert ruitz["population_totale"] == 1517
    assert ruitz["population_municipale"] == 1493
    assert ruitz["epci_siren"] == "200072460"


def test_quercamps_has_code_62675(livre):
    assert par_code(livre)["62675"]["nom"] == "Quercamps"


def test_epcis_straddling_the_62_say_how_many_members_they_have_elsewhere(livre):
    ailleurs = {
        e["nom"]: e["membres_hors_departement"]
        for e in livre["epci"]
        if e["membres_hors_departement"]
    }

    assert ailleurs == {"CC Flandre Lys": 4, "CC du Ternois": 1}


def test_the_shipped_file_is_written_exactly_as_the_serialiser_writes_it(livre):
    assert FICHIER_LIVRE.read_text(encoding="utf-8") == serialiser(livre)


def test_a_notice_in_french_sits_beside_the_shipped_file():
    notice = FICHIER_LIVRE.with_suffix(".md").read_text(encoding="utf-8")

    for mention in ("@etalab/decoupage-administratif", "6.0.0", "MIT"):
        assert mention in notice
    assert "Licence Ouverte" in notice
    assert "Millésime des populations : 2023" in notice
    assert "construire_referentiel" in notice


# --- La commande --------------------------------------------------------------


def archive_npm(dossier, *, version="9.9.9", fichiers=None):
    """Une archive au format de npm pack, avec les données minuscules."""
    fichiers = fichiers or {
        "package/package.json": {
            "name": "@etalab/decoupage-administratif",
            "version": version,
            "license": "MIT",
        },
        "package/data/communes.json": COMMUNES,
        "package/data/epci.json": EPCIS,
    }
    chemin = dossier / f"etalab-decoupage-administratif-{version}.tgz"
    with tarfile.open(chemin, "w:gz") as archive:
        for nom, contenu in fichiers.items():
            octets = json.dumps(contenu, ensure_ascii=False).encode("utf-8")
            info = tarfile.TarInfo(nom)
            info.size = len(octets)
            archive.addfile(info, io.BytesIO(octets))
    return chemin


def test_the_command_builds_the_file_from_a_local_archive(tmp_path):
    sortie = tmp_path / "ref" / "referentiel-62.json"
    sorties = io.StringIO()

    call_command(
        "construire_referentiel",
        archive=archive_npm(tmp_path),
        sortie=sortie,
        millesime=2099,
        stdout=sorties,
    )

    attendu = construire_referentiel(COMMUNES, EPCIS, version="9.9.9", millesime=2099)
    assert sortie.read_text(encoding="utf-8") == serialiser(attendu)
    assert "3 communes et 2 EPCI du 62" in sorties.getvalue()
    assert "hors de tout EPCI (population du fichier des communes) : 1" in (
        sorties.getvalue()
    )
    notice = sortie.with_suffix(".md").read_text(encoding="utf-8")
    assert "version 9.9.9" in notice
    assert "Millésime des populations : 2099" in notice


def test_the_command_asks_for_the_millesime_of_an_unknown_version(tmp_path):
    with pytest.raises(CommandError, match="--millesime"):
        call_command(
            "construire_referentiel",
            archive=archive_npm(tmp_path),
            sortie=tmp_path / "r.json",
        )


def test_the_command_refuses_counts_that_differ_from_the_known_version(tmp_path):
    sortie = tmp_path / "r.json"

    with pytest.raises(CommandError, match="887 attendus"):
        call_command(
            "construire_referentiel",
            archive=archive_npm(tmp_path, version="6.0.0"),
            sortie=sortie,
        )
    assert not sortie.exists()


def test_the_command_refuses_an_archive_of_another_version_than_asked(tmp_path):
    with pytest.raises(CommandError, match="pas la version 6.0.0 demandée"):
        call_command(
            "construire_referentiel",
            "--version",
            "6.0.0",
            archive=archive_npm(tmp_path),
            sortie=tmp_path / "r.json",
        )


def test_the_command_says_which_file_an_incomplete_archive_lacks(tmp_path):
    incomplete = archive_npm(
        tmp_path,
        fichiers={
            "package/package.json": {"name": "@etalab/decoupage-administratif"},
            "../../package/data/communes.json": COMMUNES,
        },
    )

    with pytest.raises(CommandError, match="ne contient pas package/data/communes"):
        call_command(
            "construire_referentiel", archive=incomplete, sortie=tmp_path / "r.json"
        )
    assert not (tmp_path.parent.parent / "package").exists()


def test_the_command_without_npm_tells_what_to_do_in_french(tmp_path, monkeypatch):
    monkeypatch.setattr(commande.shutil, "which", lambda nom: None)

    with pytest.raises(CommandError) as erreur:
        call_command("construire_referentiel", sortie=tmp_path / "r.json")

    message = str(erreur.value)
    assert "npm est introuvable" in message
    assert "Installez Node.js et npm" in message
    assert "--archive FICHIER.tgz" in message
    assert not (tmp_path / "r.json").exists()


def test_the_command_reports_a_failing_npm_in_french(tmp_path, monkeypatch):
    class Echec:
        returncode = 1
        stdout = ""
        stderr = "npm error code E404"

    monkeypatch.setattr(commande.shutil, "which", lambda nom: "/usr/bin/npm")
    monkeypatch.setattr(commande.subprocess, "run", lambda *a, **k: Echec())

    with pytest.raises(CommandError, match="E404.*--archive FICHIER.tgz"):
        call_command("construire_referentiel", sortie=tmp_path / "r.json")


# --- Recherche --------------------------------------------------------------


@pytest.mark.parametrize(
    ("tape", "attendu"),
    [
        ("Saint-Omer", "saint omer"),
        ("st omer", "saint omer"),
        ("St-Omer", "saint omer"),
        ("St. Omer", "saint omer"),
        ("ste catherine", "sainte catherine"),
        ("Sainte-Catherine", "sainte catherine"),
        ("villers chatel", "villers chatel"),
        ("Villers-Châtel", "villers chatel"),
        ("Auchy-lès-Mines", "auchy les mines"),
        ("L'Écluse", "l ecluse"),
        ("L’Écluse", "l ecluse"),
        ("Lʼécluse", "l ecluse"),
        ("Boulogne-sur-Mer", "boulogne sur mer"),
        ("boulogne s/ mer", "boulogne sur mer"),
        ("Boulogne s/Mer", "boulogne sur mer"),
        ("  HÉNIN -- Beaumont  ", "henin beaumont"),
        ("Cœur d'Œuvre", "coeur d oeuvre"),
        ("Lætitia", "laetitia"),
        ("Straße", "strasse"),
        ("Stella-Plage", "stella plage"),
        ("Aix-Noulette (62)", "aix noulette 62"),
        ("C.C. des 7 Vallées", "c c des 7 vallees"),
        ("", ""),
        ("  - ' .", ""),
    ],
)
def test_normaliser_ignores_case_accents_punctuation_and_abbreviations(tape, attendu):
    assert normaliser(tape) == attendu


def test_normaliser_makes_the_typed_text_a_part_of_the_official_name():
    assert normaliser("chatel") in normaliser("Villers-Châtel")
    assert normaliser("st omer") in normaliser("Saint-Omer")
    assert normaliser("auchy les mines") == normaliser("Auchy-lès-Mines")
