"""L'export d'archives d'une période (domaine : documents figés, SHA-256).

- :func:`export_lancer` crée l'export et le met en file (tâche de fond,
  ``archives.tasks.exporter``), après validation de la transaction ;
- :func:`export_executer` construit le ZIP : chaque document de la période
  (``archives.selectors``) est lu dans le stockage privé et son SHA-256 comparé
  à celui enregistré à l'émission ou au dépôt **avant** d'être archivé ; un
  fichier absent, sans empreinte ou altéré est écarté et inscrit au rapport,
  jamais archivé en silence. Le ZIP s'écrit au fil de l'eau dans un fichier
  temporaire (un document en mémoire à la fois, jamais l'archive entière), puis
  va dans le stockage privé avec son SHA-256.

Le ZIP contient, à côté des PDF, ``manifeste.csv`` (``config.tableurs``) et
``manifeste.xml`` : une description à la manière du SEDA 2.1 (``ArchiveTransfer``,
un ``BinaryDataObject`` par fichier avec son empreinte SHA-256 et sa taille, une
``ArchiveUnit`` par document avec titre, dates et service producteur), que
``manage.py verifier_archive`` relit pour recalculer chaque empreinte.
"""

from __future__ import annotations

import datetime
import logging
import tempfile
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction
from django.utils import timezone

from archives import selectors
from archives.models import ExportArchive
from archives.selectors import Document
from config.tableurs import contenu_tableur
from conventions.fichiers import empreinte_sha256

journal = logging.getLogger(__name__)

SEDA = "fr:gouv:culture:archivesdefrance:seda:v2.1"
MANIFESTE_CSV = "manifeste.csv"
MANIFESTE_XML = "manifeste.xml"
MANIFESTES = (MANIFESTE_CSV, MANIFESTE_XML)
ENTETES_MANIFESTE = (
    "Identifiant",
    "Fichier",
    "Type",
    "Titre",
    "Date",
    "Producteur",
    "Identifiant du producteur",
    "Collectivité",
    "Taille (octets)",
    "SHA-256",
)
ET.register_namespace("", SEDA)


# --- Lancement -----------------------------------------------------------------


def export_lancer(*, du: datetime.date, au: datetime.date, par) -> ExportArchive:
    """Crée l'export de la période et le met en file ; le ZIP se construit en
    tâche de fond (``archives.tasks.exporter``), après validation."""
    from archives import tasks

    if du > au:
        raise ValidationError(
            f"La date de début ({du:%d/%m/%Y}) doit précéder la date de fin "
            f"({au:%d/%m/%Y})."
        )
    with transaction.atomic():
        export = ExportArchive.objects.create(du=du, au=au, lance_par=par)
        transaction.on_commit(lambda: _mettre_en_file(tasks, export.pk))
    return export


def _mettre_en_file(tasks, pk: int) -> None:
    resultat = tasks.exporter.enqueue(pk)
    ExportArchive.objects.filter(pk=pk).update(tache=str(resultat.id)[:64])


# --- Exécution -----------------------------------------------------------------


def _lire_verifie(document: Document) -> tuple[bytes | None, str]:
    """Les octets du document s'ils sont ceux enregistrés, sinon le motif du
    refus. Un document tient en mémoire (un PDF, quelques Mo) ; l'archive non."""
    if not document.sha256_enregistre:
        return None, "aucune empreinte SHA-256 enregistrée : document non archivé"
    try:
        with document.fichier.storage.open(document.fichier.name, "rb") as ouvert:
            contenu = ouvert.read()
    except FileNotFoundError:
        journal.error("Document à archiver introuvable : %s", document.fichier.name)
        return None, "fichier introuvable dans le stockage"
    lue = empreinte_sha256(contenu)
    if lue != document.sha256_enregistre:
        journal.error(
            "Document stocké altéré, non archivé : %s (SHA-256 attendu %s, lu %s)",
            document.fichier.name,
            document.sha256_enregistre,
            lue,
        )
        return None, (
            "le fichier ne correspond plus à l'empreinte enregistrée (SHA-256 "
            f"attendu {document.sha256_enregistre[:12]}…, lu {lue[:12]}…) : "
            "document altéré, non archivé"
        )
    return contenu, ""


def export_executer(export_id: int) -> ExportArchive:
    """Construit l'archive d'un export ; relancé, il repart du début (le ZIP
    n'est posé sur l'export qu'une fois complet)."""
    export = ExportArchive.objects.select_related("lance_par").get(pk=export_id)
    if export.statut == ExportArchive.Statut.TERMINE:
        return export
    documents = selectors.documents_de_la_periode(export.du, export.au)
    export.statut = ExportArchive.Statut.EN_COURS
    export.total = len(documents)
    export.faites = 0
    export.rapport = {}
    export.save(update_fields=["statut", "total", "faites", "rapport"])
    try:
        with tempfile.TemporaryDirectory(prefix="cdg62-archive-") as dossier:
            chemin = Path(dossier) / "archive.zip"
            archives, ecartes = _ecrire_zip(export, documents, chemin)
            with chemin.open("rb") as zip_ouvert:
                export.sha256 = empreinte_sha256(zip_ouvert)
                export.taille = chemin.stat().st_size
                export.fichier.save(
                    export.nom_telechargement, File(zip_ouvert), save=False
                )
    except Exception as erreur:  # l'agent lit l'échec sur la page de l'export
        journal.exception("Export d'archives n°%s en échec", export.pk)
        export.statut = ExportArchive.Statut.ECHOUE
        export.rapport = {"erreur": str(erreur)[:500] or type(erreur).__name__}
        export.termine_le = timezone.now()
        export.save(update_fields=["statut", "rapport", "termine_le"])
        return export
    comptes = {cle: 0 for cle in selectors.TYPES}
    for document, _, _ in archives:
        comptes[document.type] += 1
    export.rapport = {"archives": comptes, "ecartes": ecartes}
    export.statut = ExportArchive.Statut.TERMINE
    export.faites = export.total
    export.termine_le = timezone.now()
    export.save(
        update_fields=[
            "fichier",
            "sha256",
            "taille",
            "rapport",
            "statut",
            "faites",
            "termine_le",
        ]
    )
    return export


def _ecrire_zip(
    export: ExportArchive, documents: list[Document], chemin: Path
) -> tuple[list[tuple[Document, str, int]], list[dict]]:
    archives: list[tuple[Document, str, int]] = []
    ecartes: list[dict] = []
    with zipfile.ZipFile(chemin, "w") as archive:
        for rang, document in enumerate(documents, start=1):
            contenu, motif = _lire_verifie(document)
            if contenu is None:
                ecartes.append(
                    {
                        "identifiant": document.identifiant,
                        "fichier": document.chemin,
                        "titre": document.titre,
                        "motif": motif,
                    }
                )
            else:
                # Les PDF sont déjà compressés : rangés tels quels.
                archive.writestr(
                    document.chemin, contenu, compress_type=zipfile.ZIP_STORED
                )
                archives.append((document, empreinte_sha256(contenu), len(contenu)))
            # L'avancée que la page relit (htmx) : une écriture par document.
            ExportArchive.objects.filter(pk=export.pk).update(faites=rang)
        archive.writestr(
            MANIFESTE_CSV,
            manifeste_csv(archives),
            compress_type=zipfile.ZIP_DEFLATED,
        )
        archive.writestr(
            MANIFESTE_XML,
            manifeste_xml(export, archives),
            compress_type=zipfile.ZIP_DEFLATED,
        )
    return archives, ecartes


# --- Manifestes ----------------------------------------------------------------


def manifeste_csv(archives: list[tuple[Document, str, int]]) -> bytes:
    """Le manifeste tableur : une ligne par fichier archivé."""
    lignes = [
        (
            document.identifiant,
            document.chemin,
            document.libelle_type,
            document.titre,
            document.date,
            document.producteur.nom,
            document.producteur.identifiant,
            document.collectivite,
            taille,
            sha256,
        )
        for document, sha256, taille in archives
    ]
    return contenu_tableur(ENTETES_MANIFESTE, lignes, "csv", titre="Manifeste")


def _element(parent, nom: str, texte: str | None = None, **attributs):
    element = ET.SubElement(parent, f"{{{SEDA}}}{nom}", attributs)
    if texte is not None:
        element.text = selectors.texte_sur(texte)
    return element


def _organisme(parent, nom: str, producteur: selectors.Producteur) -> None:
    organisme = _element(parent, nom)
    _element(organisme, "Identifier", producteur.identifiant)
    description = _element(organisme, "OrganizationDescriptiveMetadata")
    _element(description, "Name", producteur.nom)


def manifeste_xml(
    export: ExportArchive, archives: list[tuple[Document, str, int]]
) -> bytes:
    """Le bordereau de transfert, à la manière du SEDA 2.1 (ordre des éléments
    du schéma ; non validé contre lui) : un ``BinaryDataObject`` par fichier
    (``Uri`` = chemin dans le ZIP, ``MessageDigest`` SHA-256, ``Size``,
    ``Filename``) et une ``ArchiveUnit`` par document qui y renvoie."""
    cdg = selectors.producteur_cdg()
    racine = ET.Element(f"{{{SEDA}}}ArchiveTransfer")
    _element(
        racine,
        "Comment",
        f"Archives du CDG 62 : devis émis et conventions signées du "
        f"{export.du:%d/%m/%Y} au {export.au:%d/%m/%Y}",
    )
    _element(racine, "Date", timezone.localtime().isoformat(timespec="seconds"))
    _element(racine, "MessageIdentifier", f"CDG62-ARCHIVES-{export.pk}")
    versions = _element(racine, "CodeListVersions")
    _element(
        versions,
        "MessageDigestAlgorithmCodeListVersion",
        "MessageDigestAlgorithmCodeListVersion0",
    )
    _element(versions, "MimeTypeCodeListVersion", "MimeTypeCodeListVersion0")
    paquet = _element(racine, "DataObjectPackage")
    for document, sha256, taille in archives:
        objet = _element(paquet, "BinaryDataObject", id=f"obj-{document.identifiant}")
        _element(objet, "DataObjectVersion", "BinaryMaster_1")
        _element(objet, "Uri", document.chemin)
        _element(objet, "MessageDigest", sha256, algorithm="SHA-256")
        _element(objet, "Size", str(taille))
        format_ = _element(objet, "FormatIdentification")
        _element(format_, "MimeType", "application/pdf")
        info = _element(objet, "FileInfo")
        _element(info, "Filename", document.nom_fichier)
    descriptions = _element(paquet, "DescriptiveMetadata")
    for document, _, _ in archives:
        unite = _element(descriptions, "ArchiveUnit", id=f"au-{document.identifiant}")
        contenu = _element(unite, "Content")
        _element(contenu, "DescriptionLevel", "Item")
        _element(contenu, "Title", document.titre)
        _element(
            contenu, "OriginatingAgencyArchiveUnitIdentifier", document.identifiant
        )
        _element(contenu, "DocumentType", document.libelle_type)
        _element(contenu, "Language", "fra")
        _element(contenu, "DescriptionLanguage", "fra")
        _organisme(contenu, "OriginatingAgency", document.producteur)
        date = document.date.isoformat()
        if document.type == selectors.DEVIS:
            _element(contenu, "CreatedDate", date)  # émission
        else:
            _element(contenu, "TransactedDate", date)  # dernière signature
        _element(contenu, "StartDate", date)
        _element(contenu, "EndDate", date)
        reference = _element(unite, "DataObjectReference")
        _element(reference, "DataObjectReferenceId", f"obj-{document.identifiant}")
    gestion = _element(paquet, "ManagementMetadata")
    _element(gestion, "OriginatingAgencyIdentifier", cdg.identifiant)
    _organisme(racine, "ArchivalAgency", cdg)
    _organisme(racine, "TransferringAgency", cdg)
    ET.indent(racine)
    return ET.tostring(racine, encoding="utf-8", xml_declaration=True)
