"""L'export d'archives d'une période : un ZIP des devis émis, des conventions
signées et de leurs scans, avec un manifeste (CSV et bordereau SEDA 2.1) dont
les empreintes se recalculent ; construit en tâche de fond ; un document
stocké altéré est écarté et signalé, jamais archivé en silence."""

from __future__ import annotations

import csv
import datetime
import hashlib
import io
import xml.etree.ElementTree as ET
import zipfile

import pytest

from archives import services
from archives.models import ExportArchive
from conventions.fichiers import empreinte_sha256
from conventions.models import stockage_prive
from devis.models import Devis
from tests.archives.documents import AU, DU, NS
from tests.factories import pdf_octets

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("pdf_rapide")]


def exporter(agent, du=DU, au=AU) -> ExportArchive:
    export = ExportArchive.objects.create(du=du, au=au, lance_par=agent)
    return services.export_executer(export.pk)


def membres(export: ExportArchive) -> dict[str, bytes]:
    with zipfile.ZipFile(export.fichier.path) as archive:
        return {nom: archive.read(nom) for nom in archive.namelist()}


def manifeste_csv(export: ExportArchive) -> list[dict]:
    texte = membres(export)["manifeste.csv"].decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(texte, newline=""), delimiter=";"))


def bordereau(export: ExportArchive) -> ET.Element:
    return ET.fromstring(membres(export)["manifeste.xml"])


def test_the_archive_holds_the_period_documents_and_nothing_else(periode, alice_agent):
    """Les devis émis dans la période (l'annulé compris), la convention signée
    dans la période et son scan ; ni le devis d'avant, ni le brouillon, ni la
    convention signée avant, ni celle encore en signature."""
    export = exporter(alice_agent)

    fibre, cdg = periode["dedans"]
    signee = periode["signee"]
    assert export.statut == ExportArchive.Statut.TERMINE
    assert sorted(membres(export)) == sorted(
        [
            f"devis/fibre/{fibre.numero}.pdf",
            f"devis/cdg/{cdg.numero}.pdf",
            f"conventions/convention-{signee.pk}-quercamps-signee.pdf",
            f"conventions/convention-{signee.pk}-quercamps-scan.pdf",
            "manifeste.csv",
            "manifeste.xml",
        ]
    )
    assert cdg.statut == Devis.Statut.ANNULE
    assert export.total == export.faites == 4
    assert export.rapport == {
        "archives": {"devis": 2, "convention_signee": 1, "scan": 1},
        "ecartes": [],
    }


def test_the_archived_files_are_the_stored_documents_byte_for_byte(
    periode, alice_agent
):
    export = exporter(alice_agent)

    fibre, _ = periode["dedans"]
    signee = periode["signee"]
    contenu = membres(export)
    with fibre.pdf.open("rb") as pdf:
        assert contenu[f"devis/fibre/{fibre.numero}.pdf"] == pdf.read()
    assert (
        empreinte_sha256(
            contenu[f"conventions/convention-{signee.pk}-quercamps-scan.pdf"]
        )
        == signee.scan_sha256
    )


def test_an_issued_devis_of_today_is_archived_for_a_period_that_covers_today(
    devis_emis, alice_agent
):
    jour = devis_emis.date_emission
    export = exporter(alice_agent, du=jour, au=jour)

    assert f"devis/fibre/{devis_emis.numero}.pdf" in membres(export)
    assert [ligne["Identifiant"] for ligne in manifeste_csv(export)] == [
        f"devis-{devis_emis.numero}"
    ]


def test_manifest_hashes_equal_the_recomputed_hashes(periode, alice_agent):
    """Chaque ligne du manifeste CSV et chaque objet du bordereau XML donnent
    l'empreinte et la taille du fichier tel qu'il est dans le ZIP, qui sont
    aussi celles enregistrées à l'émission ou au dépôt."""
    export = exporter(alice_agent)

    contenu = membres(export)
    fichiers = {nom for nom in contenu if not nom.startswith("manifeste.")}
    lignes = manifeste_csv(export)
    assert {ligne["Fichier"] for ligne in lignes} == fichiers
    for ligne in lignes:
        octets = contenu[ligne["Fichier"]]
        assert ligne["SHA-256"] == hashlib.sha256(octets).hexdigest()
        assert int(ligne["Taille (octets)"]) == len(octets)
    objets = bordereau(export).findall(".//seda:BinaryDataObject", NS)
    assert len(objets) == len(fichiers)
    for objet in objets:
        octets = contenu[objet.findtext("seda:Uri", namespaces=NS)]
        empreinte = objet.find("seda:MessageDigest", NS)
        assert empreinte.get("algorithm") == "SHA-256"
        assert empreinte.text == hashlib.sha256(octets).hexdigest()
        assert int(objet.findtext("seda:Size", namespaces=NS)) == len(octets)
    enregistrees = {d.pdf_sha256 for d in periode["dedans"]} | {
        periode["signee"].pdf_signe_sha256,
        periode["signee"].scan_sha256,
    }
    assert {ligne["SHA-256"] for ligne in lignes} == enregistrees


def test_the_xml_manifest_parses_and_describes_every_file(periode, alice_agent):
    """Le bordereau : un ``BinaryDataObject`` par fichier (identifiant, nom,
    empreinte, taille) et une ``ArchiveUnit`` par document (titre, dates,
    producteur = l'émetteur du devis ou le CDG) qui renvoie à son objet."""
    export = exporter(alice_agent)

    racine = bordereau(export)
    assert racine.tag == f"{{{services.SEDA}}}ArchiveTransfer"
    objets = {
        objet.get("id"): objet
        for objet in racine.findall(".//seda:BinaryDataObject", NS)
    }
    unites = racine.findall(".//seda:DescriptiveMetadata/seda:ArchiveUnit", NS)
    assert len(objets) == len(unites) == 4
    for objet in objets.values():
        uri = objet.findtext("seda:Uri", namespaces=NS)
        assert (
            objet.findtext("seda:FileInfo/seda:Filename", namespaces=NS)
            == (uri.rsplit("/", 1)[-1])
        )
    fibre, _ = periode["dedans"]
    par_identifiant = {}
    for unite in unites:
        contenu = unite.find("seda:Content", NS)
        reference = unite.findtext(
            "seda:DataObjectReference/seda:DataObjectReferenceId", namespaces=NS
        )
        assert reference in objets
        assert contenu.findtext("seda:Title", namespaces=NS)
        assert contenu.findtext("seda:StartDate", namespaces=NS)
        identifiant = contenu.findtext(
            "seda:OriginatingAgencyArchiveUnitIdentifier", namespaces=NS
        )
        par_identifiant[identifiant] = contenu
    devis = par_identifiant[f"devis-{fibre.numero}"]
    assert devis.findtext("seda:Title", namespaces=NS) == (
        f"Devis {fibre.numero} — Ruitz"
    )
    assert devis.findtext("seda:CreatedDate", namespaces=NS) == "2025-06-02"
    assert (
        devis.findtext(
            "seda:OriginatingAgency/seda:OrganizationDescriptiveMetadata/seda:Name",
            namespaces=NS,
        )
        == (fibre.emetteur_fige["nom"])
    )
    signee = periode["signee"]
    convention = par_identifiant[f"convention-{signee.pk}-signee"]
    assert convention.findtext("seda:TransactedDate", namespaces=NS) == "2024-05-02"
    assert "Centre de Gestion" in convention.findtext(
        "seda:OriginatingAgency/seda:OrganizationDescriptiveMetadata/seda:Name",
        namespaces=NS,
    )


def test_a_stored_file_that_no_longer_matches_its_hash_is_reported_not_archived(
    periode, alice_agent, stockage
):
    fibre, cdg = periode["dedans"]
    (stockage / fibre.pdf.name).write_bytes(pdf_octets(pages=4))

    export = exporter(alice_agent)

    assert f"devis/fibre/{fibre.numero}.pdf" not in membres(export)
    assert f"devis/cdg/{cdg.numero}.pdf" in membres(export)
    assert fibre.numero not in membres(export)["manifeste.csv"].decode()
    (ecarte,) = export.ecartes
    assert ecarte["identifiant"] == f"devis-{fibre.numero}"
    assert "altéré" in ecarte["motif"]
    assert export.rapport["archives"]["devis"] == 1


def test_a_missing_stored_file_is_reported(periode, alice_agent, stockage):
    signee = periode["signee"]
    (stockage / signee.scan.name).unlink()

    export = exporter(alice_agent)

    (ecarte,) = export.ecartes
    assert ecarte["identifiant"] == f"convention-{signee.pk}-scan"
    assert ecarte["motif"] == "fichier introuvable dans le stockage"


def test_the_zip_is_stored_privately_with_its_hash(periode, alice_agent, stockage):
    export = exporter(alice_agent)

    chemin = stockage / export.fichier.name
    assert export.fichier.storage is stockage_prive
    assert hashlib.sha256(chemin.read_bytes()).hexdigest() == export.sha256
    assert export.taille == chemin.stat().st_size
    assert export.termine_le is not None


def test_a_period_without_documents_gives_an_archive_with_only_its_manifests(
    alice_agent,
):
    export = exporter(
        alice_agent, du=datetime.date(2020, 1, 1), au=datetime.date(2020, 12, 31)
    )

    assert sorted(membres(export)) == ["manifeste.csv", "manifeste.xml"]
    assert export.total == 0
    assert export.pourcentage == 100


def test_an_export_that_fails_says_why(alice_agent, monkeypatch):
    def disque_plein(*args, **kwargs):
        raise OSError(28, "Plus d'espace disponible sur le périphérique")

    monkeypatch.setattr(services, "_ecrire_zip", disque_plein)

    export = exporter(alice_agent)

    assert export.statut == ExportArchive.Statut.ECHOUE
    assert "espace disponible" in export.rapport["erreur"]
    assert not export.fichier


def test_the_export_runs_as_a_background_task(
    periode, alice_agent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        export = services.export_lancer(du=DU, au=AU, par=alice_agent)

    export.refresh_from_db()
    assert export.statut == ExportArchive.Statut.TERMINE
    assert export.tache
    assert export.faites == export.total == 4


def test_an_inverted_period_is_refused_by_the_service(alice_agent):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="doit précéder"):
        services.export_lancer(du=AU, au=DU, par=alice_agent)
    assert not ExportArchive.objects.exists()
