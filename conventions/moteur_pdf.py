"""Le moteur PDF commun (convention, devis) : HTML → PDF par WeasyPrint, sans
aucun accès au réseau.

``html_vers_pdf`` : la page HTML ne
peut charger que des fichiers des répertoires statiques du projet (feuilles de
style, polices Inter, images) ou des URI ``data:`` ; toute autre adresse
(``http``, ``https``, ``ftp``, fichier hors des répertoires statiques) est
refusée. Un PDF se rend ainsi à l'identique sur un serveur sans accès sortant.

WeasyPrint n'est importé qu'au premier rendu (la moitié du démarrage de
``manage.py`` sinon, pour chaque commande et chaque worker) ; les feuilles de
style analysées et la configuration des polices sont construites une fois par
processus.
"""

from __future__ import annotations

import atexit
import functools
import mimetypes
import posixpath
import threading
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

from django.contrib.staticfiles import finders

# Racine virtuelle des fichiers statiques dans les PDF : un gabarit écrit
# ``<link href="css/pdf.css">`` ou ``/static/css/pdf.css`` ; les deux se
# résolvent en ``file:///static/css/pdf.css``, servi par ``RecuperateurStatique``.
# (Pas de ``{% static %}`` : avec un stockage « manifest », les noms hachés
# n'existent pas dans les répertoires sources.)
PREFIXE_STATIQUE = "/static/"
URL_DE_BASE = "file://" + PREFIXE_STATIQUE
FEUILLES_PAR_DEFAUT = ("css/pdf.css",)


class AccesRefuse(ValueError):
    """Ressource hors des répertoires statiques : jamais chargée dans un PDF."""


def _racines_statiques() -> list[Path]:
    """Les répertoires où vivent les fichiers statiques (projet et applications)."""
    racines = []
    for finder in finders.get_finders():
        for stockage in getattr(finder, "storages", {}).values():
            emplacement = getattr(stockage, "location", None)
            if emplacement:
                racines.append(Path(emplacement).resolve())
    return racines


def _fichier_statique(url: str) -> Path:
    """Le fichier local désigné par une URL ``file:`` autorisée, sinon ``AccesRefuse``.

    ``file:///static/<chemin>`` : cherché par les *finders* de staticfiles ;
    ``file:///<chemin absolu>`` : accepté s'il est dans un répertoire statique.
    """
    parties = urlsplit(url)
    if parties.netloc not in ("", "localhost"):
        raise AccesRefuse(f"Hôte refusé dans un PDF : {url}")
    chemin = unquote(parties.path)
    if chemin.startswith(PREFIXE_STATIQUE):
        relatif = posixpath.normpath(chemin.removeprefix(PREFIXE_STATIQUE))
        if relatif.startswith("..") or relatif.startswith("/"):
            raise AccesRefuse(f"Chemin refusé dans un PDF : {url}")
        trouve = finders.find(relatif)
        if trouve:
            return Path(trouve).resolve()
    fichier = Path(url2pathname(chemin)).resolve()
    if fichier.is_file() and any(
        fichier.is_relative_to(racine) for racine in _racines_statiques()
    ):
        return fichier
    raise AccesRefuse(f"Fichier hors des répertoires statiques : {url}")


@functools.cache
def _classe_recuperateur():
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class RecuperateurStatique(URLFetcher):
        """Récupérateur d'URL de WeasyPrint limité aux fichiers statiques du projet.

        Autorisés : les fichiers statiques (voir ``_fichier_statique``) et les URI
        ``data:`` (contenu embarqué, sans réseau). Tout le reste lève ``AccesRefuse`` :
        WeasyPrint journalise alors un avertissement et ignore la ressource.
        """

        def fetch(self, url, headers=None):
            schema = url.split(":", 1)[0].lower() if ":" in url else ""
            if schema == "data":
                return super().fetch(url, headers)
            if schema != "file":
                raise AccesRefuse(f"Accès réseau refusé pendant le rendu PDF : {url}")
            fichier = _fichier_statique(url)
            type_mime = (
                mimetypes.guess_type(fichier.name)[0] or "application/octet-stream"
            )
            if fichier.suffix == ".woff":
                type_mime = "font/woff"
            return URLFetcherResponse(
                fichier.as_uri(),
                body=fichier.read_bytes(),
                headers={"Content-Type": type_mime},
            )

    return RecuperateurStatique


def __getattr__(nom: str):
    # ``from conventions.moteur_pdf import RecuperateurStatique`` sans importer
    # WeasyPrint avec le module.
    if nom == "RecuperateurStatique":
        return _classe_recuperateur()
    raise AttributeError(nom)


_verrou_feuilles = threading.Lock()


@functools.cache
def _feuilles(noms: tuple[str, ...]):
    """Les feuilles analysées et leur configuration de polices, une fois par
    processus (les fichiers statiques ne changent pas sans redéploiement)."""
    from weasyprint import CSS
    from weasyprint.text.fonts import FontConfiguration

    configuration = FontConfiguration()
    feuilles = [
        CSS(
            string=_fichier_statique(URL_DE_BASE + nom).read_text(encoding="utf-8"),
            base_url=URL_DE_BASE + nom,
            url_fetcher=_classe_recuperateur()(),
            font_config=configuration,
        )
        for nom in noms
    ]
    return feuilles, configuration


# Libérée avant la fin de l'interpréteur : la configuration des polices se
# détruit proprement tant que ses modules existent encore.
atexit.register(_feuilles.cache_clear)


def html_vers_pdf(
    html: str,
    *,
    feuilles_de_style: Sequence[str] = FEUILLES_PAR_DEFAUT,
    **options,
) -> bytes:
    """Rend ``html`` en PDF, sans réseau ; renvoie les octets du document.

    ``feuilles_de_style`` : chemins relatifs aux répertoires statiques (par
    défaut ``css/pdf.css`` : A4, polices Inter locales, pied « Page X / Y »).
    ``options`` est transmis à ``HTML.write_pdf`` (ex. ``pdf_variant="pdf/a-3b"``,
    ``attachments=[...]``, ``pdf_identifier=...``).
    """
    from weasyprint import HTML

    with _verrou_feuilles:
        feuilles, configuration = _feuilles(tuple(feuilles_de_style))
    options.setdefault("stylesheets", [])
    options["stylesheets"] = [*feuilles, *options["stylesheets"]]
    document = HTML(
        string=html, base_url=URL_DE_BASE, url_fetcher=_classe_recuperateur()()
    )
    return document.write_pdf(font_config=configuration, **options)
