"""La vérification d'une archive exportée, sans rien extraire sur le disque.

Chaque fichier décrit par ``manifeste.xml`` (``BinaryDataObject`` : ``Uri``,
``MessageDigest`` SHA-256, ``Size``) est relu dans le ZIP et son empreinte
recalculée ; ``manifeste.csv`` doit dire la même chose. Résultat : les fichiers
conformes, ceux qui diffèrent, ceux qui manquent, ceux qui sont en trop (dans le
ZIP mais absents du manifeste) et les désaccords entre les deux manifestes.
"""

from __future__ import annotations

import csv
import hashlib
import io
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass, field

from archives.services import MANIFESTE_CSV, MANIFESTE_XML, MANIFESTES, SEDA

# Un manifeste plus gros que cela n'est pas un manifeste de cette application.
TAILLE_MAX_MANIFESTE = 50 * 1024 * 1024
NS = {"seda": SEDA}


class ArchiveIllisible(Exception):
    """L'archive ne peut pas être vérifiée (pas un ZIP, manifeste absent…)."""


@dataclass
class Attendu:
    sha256: str
    taille: int | None


@dataclass
class Verification:
    conformes: list[str] = field(default_factory=list)
    differents: list[tuple[str, str]] = field(default_factory=list)
    manquants: list[str] = field(default_factory=list)
    en_trop: list[str] = field(default_factory=list)
    desaccords: list[str] = field(default_factory=list)

    @property
    def intacte(self) -> bool:
        return not (
            self.differents or self.manquants or self.en_trop or self.desaccords
        )


def _lire_manifeste(archive: zipfile.ZipFile, nom: str) -> bytes:
    try:
        with archive.open(nom) as ouvert:
            contenu = ouvert.read(TAILLE_MAX_MANIFESTE + 1)
    except KeyError:
        raise ArchiveIllisible(f"L'archive ne contient pas de « {nom} ».") from None
    except (zipfile.BadZipFile, OSError) as erreur:
        raise ArchiveIllisible(f"« {nom} » est illisible : {erreur}.") from erreur
    if len(contenu) > TAILLE_MAX_MANIFESTE:
        raise ArchiveIllisible(f"« {nom} » est anormalement volumineux.")
    return contenu


def manifeste_xml_lu(contenu: bytes) -> dict[str, Attendu]:
    """Chemin dans le ZIP → empreinte et taille annoncées par le bordereau."""
    # Aucune déclaration de type ni entité : un bordereau n'en a pas besoin
    # (et les entités sont la porte des bombes XML).
    if b"<!DOCTYPE" in contenu or b"<!ENTITY" in contenu:
        raise ArchiveIllisible("« manifeste.xml » contient une déclaration refusée.")
    try:
        racine = ET.fromstring(contenu)
    except ET.ParseError as erreur:
        raise ArchiveIllisible(
            f"« manifeste.xml » n'est pas un XML valide : {erreur}."
        ) from erreur
    if racine.tag != f"{{{SEDA}}}ArchiveTransfer":
        raise ArchiveIllisible("« manifeste.xml » n'est pas un bordereau SEDA 2.1.")
    attendus: dict[str, Attendu] = {}
    for objet in racine.iterfind(".//seda:BinaryDataObject", NS):
        uri = (objet.findtext("seda:Uri", default="", namespaces=NS) or "").strip()
        empreinte = objet.find("seda:MessageDigest", NS)
        if not uri or empreinte is None:
            raise ArchiveIllisible(
                f"Objet « {objet.get('id', '?')} » sans chemin ni empreinte."
            )
        if empreinte.get("algorithm") != "SHA-256":
            raise ArchiveIllisible(
                f"Empreinte de « {uri} » en {empreinte.get('algorithm')} : seul "
                "SHA-256 est vérifié."
            )
        taille = objet.findtext("seda:Size", default="", namespaces=NS).strip()
        attendus[uri] = Attendu(
            sha256=(empreinte.text or "").strip().lower(),
            taille=int(taille) if taille.isdigit() else None,
        )
    return attendus


def manifeste_csv_lu(contenu: bytes) -> dict[str, str]:
    """Chemin dans le ZIP → empreinte annoncée par le manifeste tableur."""
    try:
        texte = contenu.decode("utf-8-sig")
    except UnicodeDecodeError as erreur:
        raise ArchiveIllisible("« manifeste.csv » n'est pas en UTF-8.") from erreur
    lignes = csv.DictReader(io.StringIO(texte, newline=""), delimiter=";")
    if not lignes.fieldnames or not {"Fichier", "SHA-256"} <= set(lignes.fieldnames):
        raise ArchiveIllisible(
            "« manifeste.csv » n'a pas les colonnes « Fichier » et « SHA-256 »."
        )
    return {
        (ligne["Fichier"] or "").strip(): (ligne["SHA-256"] or "").strip().lower()
        for ligne in lignes
    }


def _empreinte_membre(archive: zipfile.ZipFile, nom: str) -> tuple[str, int]:
    empreinte, taille = hashlib.sha256(), 0
    with archive.open(nom) as ouvert:
        for bloc in iter(lambda: ouvert.read(64 * 1024), b""):
            empreinte.update(bloc)
            taille += len(bloc)
    return empreinte.hexdigest(), taille


def archive_verifier(source) -> Verification:
    """Vérifie l'archive ``source`` (chemin ou fichier ouvert en binaire)."""
    try:
        archive = zipfile.ZipFile(source)
    except FileNotFoundError:
        raise ArchiveIllisible(f"Fichier introuvable : {source}.") from None
    except (zipfile.BadZipFile, OSError) as erreur:
        raise ArchiveIllisible(
            f"Ce fichier n'est pas une archive ZIP lisible : {erreur}."
        ) from erreur
    resultat = Verification()
    with archive:
        attendus = manifeste_xml_lu(_lire_manifeste(archive, MANIFESTE_XML))
        tableur = manifeste_csv_lu(_lire_manifeste(archive, MANIFESTE_CSV))
        for chemin in sorted(set(attendus) | set(tableur)):
            xml_sha = attendus[chemin].sha256 if chemin in attendus else None
            if xml_sha != tableur.get(chemin):
                resultat.desaccords.append(chemin)
        noms = [n for n in archive.namelist() if not n.endswith("/")]
        presents = set()
        for nom in noms:
            if nom in MANIFESTES:
                continue
            if nom in presents:
                resultat.differents.append((nom, "présent en double dans le ZIP"))
                continue
            presents.add(nom)
            if nom not in attendus:
                resultat.en_trop.append(nom)
                continue
            try:
                sha256, taille = _empreinte_membre(archive, nom)
            except (zipfile.BadZipFile, OSError) as erreur:
                resultat.differents.append((nom, f"illisible ({erreur})"))
                continue
            attendu = attendus[nom]
            if sha256 != attendu.sha256:
                resultat.differents.append(
                    (nom, f"SHA-256 {sha256} au lieu de {attendu.sha256}")
                )
            elif attendu.taille is not None and taille != attendu.taille:
                resultat.differents.append(
                    (nom, f"{taille} octets au lieu de {attendu.taille}")
                )
            else:
                resultat.conformes.append(nom)
        resultat.manquants = sorted(set(attendus) - presents)
    return resultat
