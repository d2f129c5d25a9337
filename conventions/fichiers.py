"""Contrôle des fichiers déposés : le scan signé d'une convention.

Règle : un PDF seulement (extension ``.pdf``, contenu commençant par ``%PDF-``,
lisible par pypdf, non chiffré, au moins une page, sans script ni lancement de
programme), d'au plus
:data:`TAILLE_MAX_SCAN` octets. Chaque refus a son propre message. Le fichier
accepté est identifié par son empreinte SHA-256, enregistrée avec la convention.
"""

from __future__ import annotations

import hashlib
import io
import logging
import math

from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.utils.text import slugify
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

from conventions.formats import format_nombre

logger = logging.getLogger(__name__)

TAILLE_MAX_SCAN = 10 * 1024 * 1024  # 10 Mo
SIGNATURE_PDF = b"%PDF-"
_MO = 1024 * 1024
# Actions PDF qu'un scan n'a aucune raison de porter : un script, ou le
# lancement d'un programme à l'ouverture du document.
_ACTIONS_ACTIVES = frozenset({"/JavaScript", "/Launch"})
_OBJETS_PARCOURUS_MAX = 50_000


def _en_mo(octets: int) -> str:
    """« 10 Mo », « 12,4 Mo » (arrondi au dixième supérieur : un fichier trop
    gros n'apparaît jamais égal à la limite)."""
    dixiemes = math.ceil(octets * 10 / _MO)
    return format_nombre(dixiemes / 10) + " Mo"


def _sha256(fichier) -> str:
    empreinte = hashlib.sha256()
    fichier.seek(0)
    for bloc in iter(lambda: fichier.read(64 * 1024), b""):
        empreinte.update(bloc)
    fichier.seek(0)
    return empreinte.hexdigest()


def _contient_une_action_active(lecteur: PdfReader) -> bool:
    """Vrai si un objet du document, atteint depuis son catalogue, porte du
    JavaScript (clé ``/JS``, arbre de noms ``/JavaScript``) ou une action
    ``/Launch``. Le parcours est borné : un PDF construit pour l'épuiser n'est
    pas parcouru au-delà de :data:`_OBJETS_PARCOURUS_MAX` objets."""
    a_voir: list = [lecteur.trailer["/Root"]]
    vus: set[tuple[int, int]] = set()
    parcourus = 0
    while a_voir and parcourus < _OBJETS_PARCOURUS_MAX:
        objet = a_voir.pop()
        if isinstance(objet, IndirectObject):
            cle = (objet.idnum, objet.generation)
            if cle in vus:
                continue
            vus.add(cle)
            objet = objet.get_object()
        parcourus += 1
        if isinstance(objet, DictionaryObject):
            if "/JS" in objet or "/JavaScript" in objet:
                return True
            if objet.get("/S") in _ACTIONS_ACTIVES:
                return True
            a_voir.extend(dict.values(objet))
        elif isinstance(objet, ArrayObject):
            a_voir.extend(list.__iter__(objet))
    return False


def verifier_pdf(fichier) -> str:
    """Vérifie qu'un fichier déposé est un PDF acceptable ; renvoie son SHA-256.

    ``fichier`` est un ``UploadedFile`` (ou tout ``File`` Django muni d'un nom et
    d'une taille). Lève ``ValidationError`` avec un message en français.
    """
    nom = getattr(fichier, "name", "") or ""
    if not nom.lower().endswith(".pdf"):
        raise ValidationError(
            "Le fichier doit être un PDF (extension .pdf).", code="extension"
        )
    taille = fichier.size
    if not taille:
        raise ValidationError("Le fichier est vide.", code="vide")
    if taille > TAILLE_MAX_SCAN:
        raise ValidationError(
            f"Le fichier pèse {_en_mo(taille)} : la taille maximale est de "
            f"{_en_mo(TAILLE_MAX_SCAN)}.",
            code="taille",
        )
    fichier.seek(0)
    if fichier.read(len(SIGNATURE_PDF)) != SIGNATURE_PDF:
        raise ValidationError(
            "Ce fichier n'est pas un PDF : son contenu ne commence pas par « %PDF- ». "
            "Enregistrez le scan au format PDF.",
            code="signature",
        )
    fichier.seek(0)
    try:
        lecteur = PdfReader(fichier)
        chiffre = lecteur.is_encrypted
        pages = 0 if chiffre else len(lecteur.pages)
        actif = False if chiffre else _contient_une_action_active(lecteur)
    except Exception as erreur:  # pypdf lève des exceptions variées sur un PDF abîmé
        logger.info("PDF illisible refusé (%s) : %s", nom, erreur)
        raise ValidationError(
            "Le PDF est illisible ou endommagé. Refaites le scan ou exportez-le "
            "de nouveau en PDF.",
            code="illisible",
        ) from erreur
    if chiffre:
        raise ValidationError(
            "Le PDF est protégé par un mot de passe (chiffré) : déposez une version "
            "sans protection.",
            code="chiffre",
        )
    if pages < 1:
        raise ValidationError("Le PDF ne contient aucune page.", code="sans_page")
    if actif:
        raise ValidationError(
            "Le PDF contient du code exécutable (JavaScript ou lancement de "
            "programme), ce qu'un scan ne contient jamais : scannez de nouveau le "
            "document signé.",
            code="script",
        )
    return _sha256(fichier)


# --- Documents privés servis ---------------------------------------------------


def reponse_pdf(contenu: bytes, nom: str) -> HttpResponse:
    """Un PDF rendu à la demande, en pièce jointe, jamais gardé par un cache."""
    reponse = HttpResponse(contenu, content_type="application/pdf")
    reponse["Content-Disposition"] = f'attachment; filename="{nom}"'
    reponse["Cache-Control"] = "private, no-store"
    return reponse


def reponse_fichier_prive(
    champ, *, sha256: str, nom: str, absent: str = "Ce document est introuvable."
) -> FileResponse:
    """Un document du stockage privé (scan signé, PDF émis) servi tel qu'il a
    été conservé : en pièce jointe, jamais gardé par un cache, et seulement
    s'il a encore l'empreinte SHA-256 enregistrée à son dépôt — un fichier
    modifié sur le disque est refusé (404, journalisé), jamais servi."""
    if not champ:
        raise Http404(absent)
    try:
        with champ.open("rb") as fichier:
            contenu = fichier.read()
    except FileNotFoundError:
        logger.error("Document privé introuvable : %s", champ.name)
        raise Http404("Le fichier de ce document est introuvable.") from None
    if sha256 and hashlib.sha256(contenu).hexdigest() != sha256:
        logger.error("Document privé altéré (SHA-256 différent) : %s", champ.name)
        raise Http404(
            "Le fichier de ce document a été modifié depuis son dépôt : il n'est "
            "pas servi. Le CDG 62 en est averti."
        )
    reponse = FileResponse(
        io.BytesIO(contenu),
        as_attachment=True,
        filename=nom,
        content_type="application/pdf",
    )
    reponse["Cache-Control"] = "private, no-store"
    return reponse


def reponse_scan(convention) -> FileResponse:
    """Le scan signé d'une convention (back office et portail)."""
    return reponse_fichier_prive(
        convention.scan,
        sha256=convention.scan_sha256,
        nom=f"convention-{convention.pk}-{slugify(convention.collectivite.nom)}"
        "-signee.pdf",
        absent="Aucun scan n'a été déposé pour cette convention.",
    )
