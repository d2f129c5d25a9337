from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from stdnum import luhn

from conventions.import_csv import collectivites_importer_csv
from conventions.models import Collectivite

EXEMPLE = Path(settings.BASE_DIR) / "conventions" / "data" / "collectivites-exemple.csv"


def _siren(debut: str) -> str:
    """Un SIREN de test valide (clé de Luhn) à partir de 8 chiffres."""
    return debut + luhn.calc_check_digit(debut)


SIREN_A = _siren("99900001")
SIREN_B = _siren("99900002")


def _importer(tmp_path, texte: str, *options, encodage="utf-8"):
    fichier = tmp_path / "collectivites.csv"
    fichier.write_bytes(texte.encode(encodage))
    sortie, erreurs = io.StringIO(), io.StringIO()
    call_command(
        "importer_collectivites", str(fichier), *options, stdout=sortie, stderr=erreurs
    )
    return sortie.getvalue(), erreurs.getvalue()


def test_it_creates_communes_from_an_insee_style_file(db, tmp_path):
    sortie, erreurs = _importer(
        tmp_path,
        "Code commune;Libellé;Population totale;SIREN\n"
        f"62001;Alpha;1 234;{SIREN_A}\n"
        "62002;Bêta;87;\n",
        "--annee-population",
        "2021",
    )

    assert "2 créée(s), 0 mise(s) à jour, 0 inchangée(s), 0 rejetée(s)" in sortie
    assert erreurs == ""
    alpha = Collectivite.objects.get(code_insee="62001")
    assert alpha.nom == "Alpha"
    assert alpha.type == Collectivite.Type.COMMUNE
    assert alpha.population == 1234
    assert alpha.population_annee == 2021
    assert alpha.siren == SIREN_A
    assert alpha.history.get().history_change_reason == "Import CSV"


def test_a_second_run_changes_nothing(db, tmp_path):
    texte = f"code commune;libellé;population totale;siren\n62001;Alpha;100;{SIREN_A}\n"
    _importer(tmp_path, texte)

    sortie, _ = _importer(tmp_path, texte)

    assert "0 créée(s), 0 mise(s) à jour, 1 inchangée(s), 0 rejetée(s)" in sortie
    assert Collectivite.objects.count() == 1
    assert Collectivite.objects.get().history.count() == 1


def test_it_updates_only_the_changed_fields_of_a_collectivite_found_by_insee(
    db, tmp_path
):
    existante = Collectivite.objects.create(
        nom="Alpha", code_insee="62001", population=100, telephone="0321000000"
    )

    sortie, _ = _importer(
        tmp_path, "code commune;libellé;population totale\n62001;Alpha;150\n"
    )

    assert "0 créée(s), 1 mise(s) à jour" in sortie
    existante.refresh_from_db()
    assert existante.population == 150
    assert existante.telephone == "0321000000"
    assert existante.history.first().history_change_reason == "Import CSV"


def test_it_finds_a_collectivite_by_siren_when_there_is_no_insee_code(db, tmp_path):
    existante = Collectivite.objects.create(
        nom="Syndicat Alpha", type=Collectivite.Type.SYNDICAT, siren=SIREN_A
    )

    sortie, _ = _importer(
        tmp_path, f"libellé;siren;population totale\nSyndicat Alpha;{SIREN_A};12\n"
    )

    assert "0 créée(s), 1 mise(s) à jour" in sortie
    existante.refresh_from_db()
    assert existante.population == 12
    assert existante.type == Collectivite.Type.SYNDICAT  # le type ne change pas


def test_an_empty_cell_never_erases_a_known_value(db, tmp_path):
    Collectivite.objects.create(nom="Alpha", code_insee="62001", population=100)

    sortie, _ = _importer(
        tmp_path, "code commune;libellé;population totale\n62001;Alpha;\n"
    )

    assert "1 inchangée(s)" in sortie
    assert Collectivite.objects.get().population == 100


def test_bad_rows_are_reported_with_their_line_number_and_good_rows_imported(
    db, tmp_path
):
    _sortie, erreurs = _importer(
        tmp_path,
        "# fichier de test\n"
        "code commune;libellé;population totale;siren\n"
        "62001;Alpha;100;\n"
        "62002;Bêta;100;123456789\n"
        "6200X;Gamma;100;\n"
        "62004;Delta;beaucoup;\n"
        "62005;;100;\n"
        ";Epsilon;100;\n"
        "\n"
        "62007;Zêta;100;\n",
    )

    assert sorted(Collectivite.objects.values_list("nom", flat=True)) == [
        "Alpha",
        "Zêta",
    ]
    assert "Ligne 4 rejetée : SIREN invalide « 123456789 »" in erreurs
    assert "Ligne 5 rejetée : code INSEE invalide « 6200X »" in erreurs
    assert "Ligne 6 rejetée : population totale non numérique « beaucoup »" in erreurs
    assert "Ligne 7 rejetée : nom manquant" in erreurs
    assert "Ligne 8 rejetée : ni code INSEE ni SIREN" in erreurs


def test_a_siren_already_held_by_another_collectivite_is_rejected(db, tmp_path):
    Collectivite.objects.create(nom="Alpha", code_insee="62001", siren=SIREN_A)

    _sortie, erreurs = _importer(
        tmp_path, f"code commune;libellé;siren\n62002;Bêta;{SIREN_A}\n"
    )

    assert "Ligne 2 rejetée : le SIREN" in erreurs
    assert "appartient déjà à « Alpha »" in erreurs
    assert not Collectivite.objects.filter(code_insee="62002").exists()


@pytest.mark.parametrize(
    ("texte", "encodage"),
    [
        (
            "CODE COMMUNE,LIBELLE,POPULATION TOTALE,SIREN\n62001,Béthune,25000,\n",
            "utf-8",
        ),
        (
            "\ufeffCode_commune;Libellé;Population_totale\n62001;Béthune;25000\n",
            "utf-8",
        ),
        ("code commune;libellé;population totale\n62001;Béthune;25000\n", "latin-1"),
        (
            '"Code commune";"Libellé";"Population totale"\n"62001";"Béthune";"25000"\n',
            "utf-8",
        ),
    ],
    ids=["virgules-majuscules", "bom-soulignes", "latin-1", "guillemets"],
)
def test_it_reads_the_usual_csv_variants(db, tmp_path, texte, encodage):
    _importer(tmp_path, texte, encodage=encodage)

    commune = Collectivite.objects.get(code_insee="62001")
    assert commune.nom == "Béthune"
    assert commune.population == 25000


def test_a_file_without_a_name_column_is_refused(db, tmp_path):
    with pytest.raises(CommandError, match="Colonne « libellé »"):
        _importer(tmp_path, "code commune;population totale\n62001;10\n")


def test_simulation_writes_nothing(db, tmp_path):
    sortie, _ = _importer(
        tmp_path, "code commune;libellé\n62001;Alpha\n", "--simulation"
    )

    assert "1 créée(s)" in sortie
    assert "aucune modification enregistrée" in sortie
    assert not Collectivite.objects.exists()


def test_the_sample_file_imports_cleanly_twice(db):
    premier = collectivites_importer_csv(contenu=EXEMPLE.read_bytes())
    second = collectivites_importer_csv(contenu=EXEMPLE.read_bytes())

    assert premier.rejets == [] and premier.creees == 8
    assert (second.creees, second.mises_a_jour, second.inchangees) == (0, 0, 8)
    assert set(Collectivite.objects.values_list("type", flat=True)) == {"commune"}


def test_non_ascii_digits_and_absurd_populations_are_rejected(db):
    from conventions.import_csv import collectivites_importer_csv
    from conventions.models import Collectivite

    contenu = (
        "code commune;libellé;population totale;SIREN\n"
        "62001;Ablain;²;\n"
        "٦٢٠٠٢;Achicourt;100;\n"
        "62003;Achiet;99999999999999999999;\n"
        "62004;Acq;850;\n"
    ).encode()
    rapport = collectivites_importer_csv(contenu=contenu)
    assert [c.nom for c in Collectivite.objects.all()] == ["Acq"]
    assert len(rapport.rejets) == 3


@pytest.mark.parametrize(
    "nom",
    ["Ruitz\x00", "Ruitz\x1b[31m", "Ruitz\u202efdp.exe", "Ru\titz", "Ruitz\u2066"],
    ids=["nul", "echappement", "bidi-u202e", "tabulation", "isolat-u2066"],
)
def test_the_import_refuses_the_characters_the_form_refuses(db, tmp_path, nom):
    from conventions.forms import CollectiviteForm

    formulaire = CollectiviteForm(data={"type": "commune", "nom": nom})
    formulaire.is_valid()
    sortie, erreurs = _importer(
        tmp_path, f"code commune;libellé;siren\n62001;{nom};{SIREN_A}\n"
    )

    assert "nom" in formulaire.errors
    assert "0 créée(s)" in sortie and "1 rejetée(s)" in sortie
    assert "caractère invisible ou de contrôle" in erreurs
    assert not Collectivite.objects.filter(siren=SIREN_A).exists()


def test_a_reimport_writes_one_history_row_per_changed_collectivite_only(db):
    from conventions.import_csv import collectivites_importer_csv
    from conventions.models import Collectivite

    premier = (
        "Code commune;Libellé;Population totale\n"
        "62727;Ruitz;1500\n62001;Ablain-Saint-Nazaire;1000\n"
    ).encode()
    collectivites_importer_csv(contenu=premier)
    second = premier.replace(b"62727;Ruitz;1500", b"62727;Ruitz;1600")

    rapport = collectivites_importer_csv(contenu=second)

    assert (rapport.mises_a_jour, rapport.inchangees) == (1, 1)
    ruitz = Collectivite.objects.get(code_insee="62727")
    assert ruitz.population == 1600
    assert [h.history_change_reason for h in ruitz.history.all()] == [
        "Import CSV",
        "Import CSV",
    ]
    assert Collectivite.objects.get(code_insee="62001").history.count() == 1


def test_a_batch_refused_by_the_database_falls_back_to_row_by_row(db, monkeypatch):
    from django.db import IntegrityError

    from conventions import import_csv
    from conventions.models import Collectivite

    def refus(*args, **kwargs):
        raise IntegrityError("écriture concurrente")

    monkeypatch.setattr(import_csv, "_ecrire", refus)
    contenu = "Code commune;Libellé\n62727;Ruitz\n6272X;Mauvais\n".encode()

    rapport = import_csv.collectivites_importer_csv(contenu=contenu)

    assert rapport.creees == 1
    assert [numero for numero, _ in rapport.rejets] == [3]
    assert Collectivite.objects.get().nom == "Ruitz"
