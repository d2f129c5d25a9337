"""Contrôle des fichiers déposés (scans signés, et tout PDF que le produit reçoit).

Règle : un PDF seulement (extension ``.pdf``, contenu commençant par ``%PDF-`` et
finissant par ``%%EOF``, rien d'autre que des blancs après), d'au plus
:data:`TAILLE_MAX_SCAN` octets, lu en entier par qpdf (pikepdf), non chiffré, au
moins une page. **Chaque objet du fichier** est examiné, qu'il soit atteint ou
non depuis le catalogue, sans plafond : un seul JavaScript, une action qui sort
du document (lancement, lien, envoi de formulaire, autre document, import), un
fichier joint, un contenu multimédia ou un formulaire XFA suffit à refuser le
fichier. Chaque flux compressé est décompressé par morceaux et borné (par flux,
au total, et en rapport) : une « bombe » de décompression est refusée sans
jamais être allouée. Chaque refus a son propre message.

:func:`verifier_pdf` est l'unique contrôle des PDF déposés : tout nouveau dépôt
(scan d'acceptation papier…) l'appelle. Le fichier accepté est identifié par son
empreinte SHA-256 (:func:`empreinte_sha256`), vérifiée à chaque téléchargement
par :func:`reponse_fichier_prive`.
"""

from __future__ import annotations

import base64
import binascii
import errno
import hashlib
import io
import logging
import math
import os
import uuid
import zlib
from datetime import timedelta

import pikepdf
from django.core.exceptions import ValidationError
from django.http import FileResponse, HttpResponse
from django.utils.text import slugify

from conventions.formats import format_nombre

logger = logging.getLogger(__name__)

TAILLE_MAX_SCAN = 10 * 1024 * 1024  # 10 Mo
SIGNATURE_PDF = b"%PDF-"
FIN_PDF = b"%%EOF"
# Blancs admis après le dernier %%EOF (fin de ligne ajoutée par un outil).
_BLANCS = b" \t\r\n\x0c"
_MO = 1024 * 1024
# Décompression : au plus ce volume par flux (une page A4 en couleur à 600 dpi
# fait ~105 Mo), au total, et un rapport décompressé / compressé au-delà de ce
# que Deflate permet en une passe (~1 032) — seul un empilement l'atteint.
DECOMPRESSE_MAX_PAR_FLUX = 150 * _MO
DECOMPRESSE_MAX_TOTAL = 500 * _MO
RAPPORT_MAX = 1100
_MORCEAU = 1 * _MO
# Filtres d'image : décodés par la visionneuse seulement, jamais ici ; un filtre
# d'image termine la chaîne.
_FILTRES_IMAGE = frozenset(
    {"/DCTDecode", "/JPXDecode", "/CCITTFaxDecode", "/JBIG2Decode"}
)
_FILTRES_REFUSES = frozenset({"/LZWDecode", "/RunLengthDecode"})

# Ce qu'un scan ne porte jamais ; chaque motif a son message.
MESSAGES_REFUS = {
    "javascript": "Le PDF contient du JavaScript, ce qu'un scan ne contient "
    "jamais : scannez de nouveau le document signé.",
    "lancement": "Le PDF contient une action qui lance un programme (/Launch) : "
    "scannez de nouveau le document signé.",
    "lien": "Le PDF contient une action qui ouvre une adresse internet (/URI) : "
    "scannez de nouveau le document signé.",
    "envoi_formulaire": "Le PDF contient une action qui envoie des données "
    "(/SubmitForm) : scannez de nouveau le document signé.",
    "remise_a_zero": "Le PDF contient une action de formulaire (/ResetForm), ce "
    "qu'un scan ne contient jamais : scannez de nouveau le document signé.",
    "autre_document": "Le PDF contient une action qui ouvre un autre document "
    "(/GoToR ou /GoToE) : scannez de nouveau le document signé.",
    "import_donnees": "Le PDF contient une action qui importe des données d'un "
    "autre fichier (/ImportData) : scannez de nouveau le document signé.",
    "fichier_joint": "Le PDF contient un fichier joint (pièce incorporée) : "
    "déposez le scan seul, sans pièce jointe.",
    "multimedia": "Le PDF contient un contenu multimédia (/RichMedia) : scannez "
    "de nouveau le document signé.",
    "xfa": "Le PDF contient un formulaire XFA : déposez un scan (image) du "
    "document signé.",
    "avant_entete": "Le fichier contient des données avant l'en-tête du PDF "
    "(« %PDF- ») : ce n'est pas un PDF simple. Enregistrez le scan de nouveau "
    "au format PDF.",
    "apres_fin": "Le fichier contient des données après la fin du PDF "
    "(« %%EOF ») : ce n'est pas un PDF simple. Enregistrez le scan de nouveau "
    "au format PDF.",
    "bombe": "Le PDF contient un flux qui se décompresse en un volume démesuré "
    "(bombe de décompression) : il est refusé.",
    "compression": "Le PDF utilise une compression non acceptée (LZW ou "
    "RunLength) : exportez-le de nouveau en PDF.",
}
_ACTIONS = {
    "/JavaScript": "javascript",
    "/Launch": "lancement",
    "/URI": "lien",
    "/SubmitForm": "envoi_formulaire",
    "/ResetForm": "remise_a_zero",
    "/GoToR": "autre_document",
    "/GoToE": "autre_document",
    "/ImportData": "import_donnees",
    "/RichMediaExecute": "multimedia",
}


class _Refus(Exception):
    """Motif de refus trouvé en examinant le PDF (clé de :data:`MESSAGES_REFUS`)."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def _en_mo(octets: int) -> str:
    """« 10 Mo », « 12,4 Mo » (arrondi au dixième supérieur : un fichier trop
    gros n'apparaît jamais égal à la limite)."""
    dixiemes = math.ceil(octets * 10 / _MO)
    return format_nombre(dixiemes / 10) + " Mo"


def empreinte_sha256(contenu) -> str:
    """SHA-256 (hexadécimal) d'octets ou d'un fichier ouvert, relu depuis le début.

    Seule fonction d'empreinte des documents stockés (scans, PDF de devis)."""
    if isinstance(contenu, bytes | bytearray | memoryview):
        return hashlib.sha256(contenu).hexdigest()
    empreinte = hashlib.sha256()
    contenu.seek(0)
    for bloc in iter(lambda: contenu.read(64 * 1024), b""):
        empreinte.update(bloc)
    contenu.seek(0)
    return empreinte.hexdigest()


def _nom(valeur) -> str:
    return str(valeur) if isinstance(valeur, pikepdf.Name) else ""


def _examiner_dictionnaire(objet) -> None:
    """Lève :class:`_Refus` si ce dictionnaire (ou dictionnaire de flux) porte
    un motif refusé."""
    cles = set(objet.keys())
    if "/JS" in cles or "/JavaScript" in cles:
        raise _Refus("javascript")
    if "/EmbeddedFiles" in cles or "/EF" in cles:
        raise _Refus("fichier_joint")
    if "/XFA" in cles:
        raise _Refus("xfa")
    if "/RichMediaContent" in cles or "/RichMediaSettings" in cles:
        raise _Refus("multimedia")
    action = _nom(objet.get("/S"))
    if action in _ACTIONS:
        raise _Refus(_ACTIONS[action])
    genre, sous_genre = _nom(objet.get("/Type")), _nom(objet.get("/Subtype"))
    if genre == "/EmbeddedFile" or sous_genre == "/FileAttachment":
        raise _Refus("fichier_joint")
    if sous_genre == "/RichMedia":
        raise _Refus("multimedia")


def _examiner_objet(racine) -> None:
    """Examine un objet du fichier et tous ses sous-objets *directs* (les objets
    indirects qu'il désigne sont examinés pour eux-mêmes : chacun figure dans
    ``pdf.objects``)."""
    a_voir = [racine]
    while a_voir:
        objet = a_voir.pop()
        if isinstance(objet, pikepdf.Dictionary | pikepdf.Stream):
            _examiner_dictionnaire(objet)
            enfants = [objet[cle] for cle in objet.keys()]
        elif isinstance(objet, pikepdf.Array):
            enfants = list(objet)
        else:
            continue
        a_voir.extend(
            enfant
            for enfant in enfants
            if isinstance(enfant, pikepdf.Dictionary | pikepdf.Array)
            and not enfant.is_indirect
        )


def _filtres(flux) -> list[str]:
    filtre = flux.get("/Filter")
    if filtre is None:
        return []
    if isinstance(filtre, pikepdf.Array):
        return [_nom(f) for f in filtre]
    return [_nom(filtre)]


def _inflater(donnees: bytes, *, budget: int, garder: bool) -> tuple[int, bytes]:
    """Décompresse Deflate par morceaux de :data:`_MORCEAU` octets au plus ;
    lève :class:`_Refus` (« bombe ») dès que ``budget`` octets sont dépassés.
    Ne garde la sortie que si un autre filtre doit s'y appliquer."""
    decompresseur = zlib.decompressobj()
    taille, morceaux, reste = 0, [], donnees
    while True:
        sortie = decompresseur.decompress(reste, _MORCEAU)
        taille += len(sortie)
        if taille > budget:
            raise _Refus("bombe")
        if garder:
            morceaux.append(sortie)
        reste = decompresseur.unconsumed_tail
        if decompresseur.eof or (not reste and len(sortie) < _MORCEAU):
            break
    return taille, b"".join(morceaux)


def _ascii85(donnees: bytes) -> bytes:
    donnees = bytes(o for o in donnees if o not in b" \t\r\n\x0c\x00")
    if donnees.endswith(b"~>"):
        donnees = donnees[:-2]
    return base64.a85decode(donnees)


def _ascii_hex(donnees: bytes) -> bytes:
    donnees = bytes(o for o in donnees if o not in b" \t\r\n\x0c\x00")
    donnees = donnees.split(b">", 1)[0]
    if len(donnees) % 2:
        donnees += b"0"
    return binascii.unhexlify(donnees)


def _verifier_flux(flux, deja_decompresse: int) -> int:
    """Décode les filtres généraux du flux avec des bornes ; renvoie le volume
    décompressé. Les filtres d'image ne sont pas décodés (ils terminent la
    chaîne)."""
    donnees = flux.read_raw_bytes()
    brut = max(len(donnees), 1)
    filtres = _filtres(flux)
    volume = len(donnees)
    for rang, filtre in enumerate(filtres):
        if filtre in _FILTRES_IMAGE:
            break
        if filtre in _FILTRES_REFUSES:
            raise _Refus("compression")
        if filtre == "/ASCII85Decode":
            donnees = _ascii85(donnees)
        elif filtre == "/ASCIIHexDecode":
            donnees = _ascii_hex(donnees)
        elif filtre == "/FlateDecode":
            suite = [f for f in filtres[rang + 1 :] if f not in _FILTRES_IMAGE]
            budget = min(
                DECOMPRESSE_MAX_PAR_FLUX, DECOMPRESSE_MAX_TOTAL - deja_decompresse
            )
            volume, donnees = _inflater(donnees, budget=budget, garder=bool(suite))
            if volume > 10 * _MO and volume / brut > RAPPORT_MAX:
                raise _Refus("bombe")
        else:  # filtre inconnu (ou /Crypt) : illisible pour nous
            raise ValueError(f"filtre {filtre or '?'} non pris en charge")
        volume = max(volume, len(donnees))
    return volume


def _examiner_pdf(contenu: bytes) -> tuple[bool, int]:
    """Ouvre le PDF avec qpdf et examine chacun de ses objets ; renvoie
    ``(chiffré, nombre de pages)``. Lève :class:`_Refus` ou une exception de
    lecture."""
    try:
        pdf = pikepdf.open(io.BytesIO(contenu))
    except pikepdf.PasswordError:
        return True, 0
    with pdf:
        if pdf.is_encrypted:
            return True, 0
        decompresse = 0
        for objet in pdf.objects:
            _examiner_objet(objet)
            if isinstance(objet, pikepdf.Stream):
                decompresse += _verifier_flux(objet, decompresse)
                if decompresse > DECOMPRESSE_MAX_TOTAL:
                    raise _Refus("bombe")
        return False, len(pdf.pages)


def verifier_pdf(fichier) -> str:
    """Vérifie qu'un fichier déposé est un PDF acceptable ; renvoie son SHA-256.

    ``fichier`` est un ``UploadedFile`` (ou tout ``File`` Django muni d'un nom et
    d'une taille). Lève ``ValidationError`` avec un message en français. Seul
    contrôle des PDF déposés : tout dépôt de PDF l'appelle.
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
    contenu = fichier.read(TAILLE_MAX_SCAN + 1)
    fichier.seek(0)
    if not contenu.startswith(SIGNATURE_PDF):
        if SIGNATURE_PDF in contenu[:1024]:
            raise ValidationError(MESSAGES_REFUS["avant_entete"], code="avant_entete")
        raise ValidationError(
            "Ce fichier n'est pas un PDF : son contenu ne commence pas par « %PDF- ». "
            "Enregistrez le scan au format PDF.",
            code="signature",
        )
    fin = contenu.rfind(FIN_PDF)
    apres = contenu[fin + len(FIN_PDF) :] if fin >= 0 else b""
    if fin >= 0 and apres.strip(_BLANCS):
        raise ValidationError(MESSAGES_REFUS["apres_fin"], code="apres_fin")
    try:
        if fin < 0:
            raise ValueError("aucun marqueur %%EOF")
        chiffre, pages = _examiner_pdf(contenu)
    except _Refus as refus:
        logger.warning("PDF refusé (%s) : %s", nom, refus.code)
        raise ValidationError(MESSAGES_REFUS[refus.code], code=refus.code) from None
    except Exception as erreur:  # qpdf lève des exceptions variées sur un PDF abîmé
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
    return empreinte_sha256(contenu)


def reponse_fichier_prive(request, fichier, *, sha256: str, nom: str):
    """Un document du stockage privé (scan signé, PDF de devis émis), servi en
    pièce jointe, ``Cache-Control: private, no-store``.

    Le fichier est lu en entier (au plus quelques Mo) et son SHA-256 comparé à
    celui enregistré à l'émission ou au dépôt : un fichier absent donne une page
    404, un fichier qui diffère (ou sans empreinte enregistrée) n'est jamais
    servi — l'incident est journalisé et l'utilisateur voit une page 409 en
    français. Les octets servis sont ceux qui ont été vérifiés.
    """
    from django.http import Http404
    from django.shortcuts import render

    if not fichier:
        raise Http404("Aucun document n'est enregistré.")
    try:
        with fichier.open("rb") as ouvert:
            contenu = ouvert.read()
    except FileNotFoundError:
        logger.error("Document stocké introuvable : %s", fichier.name)
        raise Http404("Le fichier de ce document est introuvable.") from None
    if not sha256 or empreinte_sha256(contenu) != sha256:
        logger.error(
            "Document stocké altéré, non servi : %s (SHA-256 attendu %s, lu %s)",
            fichier.name,
            sha256 or "absent",
            empreinte_sha256(contenu),
        )
        return render(request, "document_altere.html", {"nom": nom}, status=409)
    reponse = FileResponse(
        io.BytesIO(contenu),
        as_attachment=True,
        filename=nom,
        content_type="application/pdf",
    )
    reponse["Cache-Control"] = "private, no-store"
    return reponse


# --- Écriture des documents stockés -------------------------------------------

MESSAGES_ECRITURE = {
    errno.ENOSPC: "Le disque du serveur est plein : le document n'a pas pu être "
    "enregistré et rien n'a été modifié. Réessayez plus tard ou prévenez "
    "l'administrateur.",
    errno.EDQUOT: "Le quota de disque du serveur est atteint : le document n'a "
    "pas pu être enregistré et rien n'a été modifié. Prévenez l'administrateur.",
    errno.EROFS: "Le stockage des documents est en lecture seule : le document "
    "n'a pas pu être enregistré et rien n'a été modifié. Prévenez "
    "l'administrateur.",
}
MESSAGE_ECRITURE = (
    "Le document n'a pas pu être enregistré sur le serveur ({erreur}) : rien n'a "
    "été modifié. Réessayez plus tard ou prévenez l'administrateur."
)


def document_enregistrer(*, champ, contenu) -> str:
    """Écrit un document dans le stockage privé pour le champ ``champ``
    (``FieldFile``) d'un objet en cours d'enregistrement, dans la transaction de
    l'appelant ; renvoie le nom posé sur le champ.

    Règle : le nom du fichier est **unique et ne porte aucun numéro** (dossier
    du champ + identifiant aléatoire) : le fichier laissé par une transaction
    annulée ne peut jamais passer pour le document d'un numéro donné plus tard
    à un autre devis, et ``nettoyer_fichiers_orphelins`` l'efface (il n'est
    désigné par aucune ligne). Le nom de téléchargement (``CDG62-2024-0007.pdf``)
    est donné à la réponse, pas au fichier. Disque plein ou en lecture seule :
    le fichier partiel est effacé et une ``ValidationError`` en français est
    levée, que l'appelant laisse remonter (sa transaction est annulée : aucun
    numéro consommé).
    """
    from django.core.files.base import ContentFile

    stockage = champ.storage
    dossier = os.path.dirname(champ.field.generate_filename(champ.instance, "x.pdf"))
    nom = f"{dossier}/{uuid.uuid4().hex}.pdf"
    if isinstance(contenu, bytes):
        contenu = ContentFile(contenu)
    try:
        nom = stockage.save(nom, contenu)
    except OSError as erreur:
        _effacer(stockage, nom)
        logger.error("Écriture du document %s impossible : %s", nom, erreur)
        message = MESSAGES_ECRITURE.get(
            erreur.errno, MESSAGE_ECRITURE.format(erreur=erreur.strerror or erreur)
        )
        raise ValidationError(message, code="ecriture") from erreur
    champ.name = nom
    return nom


def _effacer(stockage, nom: str) -> None:
    try:
        stockage.delete(nom)
    except OSError as erreur:  # disque en lecture seule : le balayage s'en charge
        logger.warning("Fichier partiel %s non effacé : %s", nom, erreur)


def fichiers_orphelins_nettoyer(
    *, stockage, dossiers: list[str], references: set[str], age: timedelta
) -> list[str]:
    """Efface, sous ``dossiers`` du stockage, les fichiers qu'aucune ligne ne
    désigne (``references``) et plus vieux que ``age`` (une transaction en
    cours n'est jamais touchée) : restes d'une transaction annulée ou d'un
    arrêt brutal. Renvoie leurs noms."""
    from django.utils import timezone

    limite = timezone.now() - age
    effaces = []
    a_voir = list(dossiers)
    while a_voir:
        dossier = a_voir.pop()
        try:
            sous_dossiers, noms = stockage.listdir(dossier)
        except FileNotFoundError:
            continue
        a_voir.extend(f"{dossier}/{d}" for d in sous_dossiers)
        for nom in sorted(noms):
            chemin = f"{dossier}/{nom}"
            if chemin in references or stockage.get_modified_time(chemin) >= limite:
                continue
            stockage.delete(chemin)
            effaces.append(chemin)
    return effaces


# --- Réponses ----------------------------------------------------------------


def reponse_pdf(contenu: bytes, nom: str) -> HttpResponse:
    """Un PDF rendu à la demande, en pièce jointe, jamais gardé par un cache."""
    reponse = HttpResponse(contenu, content_type="application/pdf")
    reponse["Content-Disposition"] = f'attachment; filename="{nom}"'
    reponse["Cache-Control"] = "private, no-store"
    return reponse


def reponse_scan(request, convention) -> FileResponse:
    """Le scan signé d'une convention (back office et portail)."""
    return reponse_fichier_prive(
        request,
        convention.scan,
        sha256=convention.scan_sha256,
        nom=f"convention-{convention.pk}-{slugify(convention.collectivite.nom)}"
        "-signee.pdf",
    )


def reponse_convention_pdf(request, convention) -> HttpResponse:
    """La convention en PDF (back office et portail) : la version conservée
    (signée, sinon l'exemplaire envoyé en signature), servie telle quelle et
    vérifiée par son SHA-256 ; un brouillon se rend à la demande, marqué
    « projet »."""
    nom = f"convention-{convention.pk}-{slugify(convention.collectivite.nom)}"
    if convention.pdf_signe:
        return reponse_fichier_prive(
            request,
            convention.pdf_signe,
            sha256=convention.pdf_signe_sha256,
            nom=f"{nom}-signee.pdf",
        )
    if convention.pdf_envoye:
        return reponse_fichier_prive(
            request,
            convention.pdf_envoye,
            sha256=convention.pdf_envoye_sha256,
            nom=f"{nom}.pdf",
        )
    from conventions.pdf import convention_pdf

    return reponse_pdf(
        convention_pdf(convention, version="projet"), f"{nom}-projet.pdf"
    )
