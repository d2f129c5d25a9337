"""``manage.py verifier_archive FICHIER.zip`` : recalcule l'empreinte de chaque
fichier contre le manifeste et dit lesquels diffèrent, manquent ou sont en
trop ; code de sortie non nul dès que quelque chose diffère."""

from __future__ import annotations

import datetime
import io
import shutil
import zipfile

import pytest
from django.core.management import CommandError, call_command

from archives import services
from archives.models import ExportArchive
from tests.archives.documents import (
    DANS_LA_PERIODE,
    conserver_pdf_signe,
    deposer_scan,
)
from tests.factories import devis_emis_pour

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("pdf_rapide")]


@pytest.fixture
def archive(devis_emis, alice_agent, tmp_path):
    """Une archive fraîche (le devis émis du jour), copiée hors du stockage."""
    jour = devis_emis.date_emission
    export = ExportArchive.objects.create(du=jour, au=jour, lance_par=alice_agent)
    export = services.export_executer(export.pk)
    copie = tmp_path / "archive.zip"
    shutil.copyfile(export.fichier.path, copie)
    return copie


def verifier(chemin) -> tuple[str, CommandError | None]:
    sortie = io.StringIO()
    try:
        call_command("verifier_archive", str(chemin), stdout=sortie)
    except CommandError as erreur:
        return sortie.getvalue(), erreur
    return sortie.getvalue(), None


def recopier(source, cible, *, remplacer=None, retirer=(), ajouter=None):
    """Une copie du ZIP, un membre réécrit, retiré ou ajouté."""
    remplacer, ajouter = remplacer or {}, ajouter or {}
    with zipfile.ZipFile(source) as lue, zipfile.ZipFile(cible, "w") as ecrite:
        for info in lue.infolist():
            if info.filename in retirer:
                continue
            ecrite.writestr(info, remplacer.get(info.filename, lue.read(info)))
        for nom, contenu in ajouter.items():
            ecrite.writestr(nom, contenu)
    return cible


def pdf_du_devis(chemin) -> str:
    with zipfile.ZipFile(chemin) as lue:
        return next(n for n in lue.namelist() if n.startswith("devis/"))


def test_a_fresh_archive_verifies(archive, devis_emis):
    sortie, erreur = verifier(archive)

    assert erreur is None
    assert f"conforme    devis/fibre/{devis_emis.numero}.pdf" in sortie
    assert "Archive intacte : 1 fichier(s) vérifié(s)" in sortie
    assert "C'est l'export n°" in sortie


def test_a_tampered_file_is_reported_with_a_non_zero_exit(archive, tmp_path):
    membre = pdf_du_devis(archive)
    with zipfile.ZipFile(archive) as lue:
        altere = lue.read(membre) + b"\n% ajout\n"
    copie = recopier(archive, tmp_path / "alteree.zip", remplacer={membre: altere})

    sortie, erreur = verifier(copie)

    assert erreur is not None and erreur.returncode == 1
    assert f"DIFFÉRENT   {membre}" in sortie
    assert "1 fichier(s) différent(s)" in str(erreur)
    assert "n'est pas un export enregistré" in sortie


def test_missing_and_extra_files_are_reported(archive, tmp_path):
    membre = pdf_du_devis(archive)
    copie = recopier(
        archive,
        tmp_path / "incomplete.zip",
        retirer={membre},
        ajouter={"devis/fibre/intrus.pdf": b"%PDF-1.7"},
    )

    sortie, erreur = verifier(copie)

    assert erreur is not None and erreur.returncode == 1
    assert f"MANQUANT    {membre}" in sortie
    assert "EN TROP     devis/fibre/intrus.pdf" in sortie


def test_a_manifest_rewritten_on_one_side_only_is_a_disagreement(archive, tmp_path):
    membre = pdf_du_devis(archive)
    with zipfile.ZipFile(archive) as lue:
        tableur = lue.read("manifeste.csv").decode("utf-8-sig")
    empreinte = tableur.splitlines()[1].rsplit(";", 1)[-1]
    tableur = tableur.replace(empreinte, "0" * 64)
    copie = recopier(
        archive,
        tmp_path / "desaccord.zip",
        remplacer={"manifeste.csv": ("\ufeff" + tableur).encode()},
    )

    sortie, erreur = verifier(copie)

    assert erreur is not None and erreur.returncode == 1
    assert f"DÉSACCORD   {membre}" in sortie


@pytest.mark.parametrize(
    "contenu, message",
    [
        (b"ceci n'est pas un zip", "pas une archive ZIP"),
        (None, "ne contient pas de « manifeste.xml »"),
    ],
)
def test_an_unverifiable_file_exits_with_status_2(tmp_path, db, contenu, message):
    chemin = tmp_path / "archive.zip"
    if contenu is None:
        with zipfile.ZipFile(chemin, "w") as ecrite:
            ecrite.writestr("devis/x.pdf", b"%PDF")
    else:
        chemin.write_bytes(contenu)

    _, erreur = verifier(chemin)

    assert erreur is not None and erreur.returncode == 2
    assert message in str(erreur)


def test_a_missing_file_is_a_french_error(tmp_path, db):
    _, erreur = verifier(tmp_path / "absente.zip")

    assert erreur.returncode == 2
    assert "Fichier introuvable" in str(erreur)


def test_an_xml_manifest_with_entities_is_refused(archive, tmp_path):
    bombe = (
        b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY b "bbbb">]>'
        b'<ArchiveTransfer xmlns="fr:gouv:culture:archivesdefrance:seda:v2.1">'
        b"&b;</ArchiveTransfer>"
    )
    copie = recopier(
        archive, tmp_path / "bombe.zip", remplacer={"manifeste.xml": bombe}
    )

    _, erreur = verifier(copie)

    assert erreur.returncode == 2
    assert "déclaration refusée" in str(erreur)


def test_an_archive_of_several_kinds_verifies(ruitz, signee, alice_agent, tmp_path):
    """Devis et convention signée (PDF et scan) : tout se vérifie."""
    devis_emis_pour(ruitz, par=alice_agent, jour=DANS_LA_PERIODE)
    conserver_pdf_signe(signee)
    deposer_scan(signee, alice_agent)
    export = ExportArchive.objects.create(
        du=datetime.date(2024, 1, 1), au=DANS_LA_PERIODE, lance_par=alice_agent
    )
    export = services.export_executer(export.pk)

    sortie, erreur = verifier(export.fichier.path)

    assert erreur is None
    assert "Archive intacte : 4 fichier(s) vérifié(s)" in sortie
