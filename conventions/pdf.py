"""PDF rendus par WeasyPrint, sans aucun accès au réseau.

``html_vers_pdf`` est le moteur commun (convention, devis) : la page HTML ne
peut charger que des fichiers des répertoires statiques du projet (feuilles de
style, polices Inter, images) ou des URI ``data:`` ; toute autre adresse
(``http``, ``https``, ``ftp``, fichier hors des répertoires statiques) est
refusée. Un PDF se rend ainsi à l'identique sur un serveur sans accès sortant.

``convention_pdf`` produit la convention tripartite pré-remplie, avec la grille
tarifaire annexée en annexe.
"""

from __future__ import annotations

import mimetypes
import posixpath
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

from conventions.formats import format_euros, format_nombre
from tarifs import calcul
from tarifs.models import Emetteur
from tarifs.selectors import grille_instantane

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
        type_mime = mimetypes.guess_type(fichier.name)[0] or "application/octet-stream"
        if fichier.suffix == ".woff":
            type_mime = "font/woff"
        return URLFetcherResponse(
            fichier.as_uri(),
            body=fichier.read_bytes(),
            headers={"Content-Type": type_mime},
        )


def _feuilles(noms: Sequence[str]) -> tuple[list[CSS], FontConfiguration]:
    # Pas de cache : mesuré sur la convention (5 pages), réutiliser les feuilles
    # analysées et la FontConfiguration ne fait rien gagner de sensible
    # (~0,35 s par rendu dans les deux cas) ; le coût est dans la mise en page.
    configuration = FontConfiguration()
    feuilles = [
        CSS(
            string=_fichier_statique(URL_DE_BASE + nom).read_text(encoding="utf-8"),
            base_url=URL_DE_BASE + nom,
            url_fetcher=RecuperateurStatique(),
            font_config=configuration,
        )
        for nom in noms
    ]
    return feuilles, configuration


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
    feuilles, configuration = _feuilles(feuilles_de_style)
    options.setdefault("stylesheets", [])
    options["stylesheets"] = [*feuilles, *options["stylesheets"]]
    document = HTML(
        string=html, base_url=URL_DE_BASE, url_fetcher=RecuperateurStatique()
    )
    return document.write_pdf(font_config=configuration, **options)


# --- Convention tripartite -------------------------------------------------

A_COMPLETER = "à compléter"


@dataclass(frozen=True)
class Partie:
    """Identité d'une partie telle qu'imprimée (faits vides : « à compléter »)."""

    code: str
    titre: str
    nom: str
    nom_court: str
    lignes: tuple[tuple[str, str], ...]
    representant: str
    signature: object | None = None


@dataclass
class LigneAnnexe:
    libelle: str
    unite: str
    periodicite: str
    fibre: str
    cdg: str
    section: str = ""


@dataclass
class SectionAnnexe:
    titre: str
    lignes: list[LigneAnnexe] = field(default_factory=list)


def _ou_a_completer(valeur) -> str:
    return str(valeur).strip() if valeur not in (None, "") else A_COMPLETER


def _adresse(objet) -> str:
    morceaux = [objet.adresse, " ".join(filter(None, [objet.code_postal, objet.ville]))]
    texte = ", ".join(m for m in morceaux if m)
    return texte or A_COMPLETER


def _representant(signature, nom: str, qualite: str) -> str:
    if signature is not None:
        nom, qualite = signature.signataire_nom, signature.signataire_qualite
    if not nom:
        return ""  # imprimé « [à compléter] »
    return f"{nom}, {qualite}" if qualite else nom


def _parties(convention, organismes: dict, signatures: dict) -> list[Partie]:
    collectivite = convention.collectivite
    parties = [
        Partie(
            code="collectivite",
            titre="La collectivité",
            nom=collectivite.nom,
            nom_court=collectivite.nom,
            lignes=(
                ("Nature", collectivite.get_type_display()),
                ("Adresse", _adresse(collectivite)),
                ("SIREN", _ou_a_completer(collectivite.siren)),
                ("SIRET", _ou_a_completer(collectivite.siret)),
                ("Code INSEE", _ou_a_completer(collectivite.code_insee)),
            ),
            representant=_representant(signatures.get("collectivite"), "", ""),
            signature=signatures.get("collectivite"),
        )
    ]
    titres = {
        Emetteur.FIBRE: "Le Syndicat",
        Emetteur.CDG: "Le Centre de Gestion",
    }
    for emetteur in (Emetteur.FIBRE, Emetteur.CDG):
        organisme = organismes.get(emetteur)
        signature = signatures.get(str(emetteur))
        if organisme is None:
            nom, lignes, representant = Emetteur(emetteur).label, (), ""
        else:
            nom = organisme.nom
            lignes = (
                ("Statut", _ou_a_completer(organisme.statut_juridique)),
                ("Adresse", _adresse(organisme)),
                ("SIRET", _ou_a_completer(organisme.siret)),
            )
            representant = _representant(
                signature, organisme.signataire_nom, organisme.signataire_qualite
            )
        parties.append(
            Partie(
                code=str(emetteur),
                titre=titres[emetteur],
                nom=nom,
                nom_court=Emetteur(emetteur).label,
                lignes=lignes,
                representant=representant,
                signature=signature,
            )
        )
    return parties


def _euros(montant) -> str:
    return "Sur devis" if montant is None else format_euros(montant)


def _bareme(bareme: calcul.Bareme, unite: str) -> str:
    """« 1 à 2 : 25,00 € ; 3 à 5 : 50,00 € ; au-delà : … »."""
    paliers = [
        f"{p.quantite_min} à {p.quantite_max} {unite} : {format_euros(p.montant)}"
        for p in bareme.paliers
    ]
    dernier = bareme.paliers[-1].quantite_max if bareme.paliers else 0
    if bareme.au_dela_tranche and bareme.au_dela_montant is not None:
        paliers.append(
            f"au-delà de {dernier} : + {format_euros(bareme.au_dela_montant)} "
            f"par tranche de {bareme.au_dela_tranche} {unite}"
        )
    else:
        paliers.append(f"au-delà de {dernier} : sur devis")
    return " ; ".join(paliers)


def _unite_bareme(unite: str) -> str:
    """Le mot compté par un barème, tiré de l'unité (« par poste » -> « postes »)."""
    for mot in ("comptes", "postes"):
        if mot[:-1] in unite:
            return mot
    return ""


def _prix(tarif: calcul.Tarif | None, unite: str) -> str:
    if tarif is None:
        return "—"
    if tarif.calcul == "inclus":
        texte = "Inclus"
    elif tarif.calcul == "sur_devis":
        texte = "Sur devis"
    elif tarif.calcul == "bareme" and tarif.bareme is not None:
        texte = _bareme(tarif.bareme, _unite_bareme(unite))
    elif tarif.calcul == "unitaire":
        texte = format_euros(tarif.prix_unitaire)
        if tarif.plafond:
            texte += (
                f" (dans la limite de {format_nombre(tarif.plafond)} ; "
                "au-delà sur devis)"
            )
    else:
        texte = "Selon la catégorie (tableau 2)"
    if tarif.mention:
        texte += f" — {tarif.mention}"
    if tarif.si_intervention:
        texte += " — uniquement en cas d'intervention du CDG"
    return texte


def _periodicite(*periodicites: str) -> str:
    libelles = {calcul.UNIQUE: "Unique", calcul.ANNUELLE: "Annuelle"}
    return " / ".join(dict.fromkeys(libelles.get(p, p) for p in periodicites if p))


def _tableau_1(grille: calcul.Grille) -> list[SectionAnnexe]:
    """Services à l'unité, par section, dans l'ordre de la délibération."""
    elements = [
        (p.ordre, 0, p)
        for p in grille.prestations.values()
        if not p.depend_de_la_categorie
    ] + [(d.ordre, 1, d) for d in grille.lignes_derivees]
    sections: list[SectionAnnexe] = []
    for _ordre, _rang, element in sorted(elements, key=lambda e: (e[0], e[1])):
        if isinstance(element, calcul.Prestation):
            tarifs = {t.emetteur: t for t in element.tarifs}
            ligne = LigneAnnexe(
                libelle=element.libelle,
                unite=element.unite,
                periodicite=_periodicite(*(t.periodicite for t in element.tarifs)),
                fibre=_prix(tarifs.get(calcul.FIBRE), element.unite),
                cdg=_prix(tarifs.get(calcul.CDG), element.unite),
            )
            section = element.section
        else:  # ligne dérivée : rangée dans la section qui la précède
            prix = _bareme(element.bareme, _unite_bareme(element.unite))
            ligne = LigneAnnexe(
                libelle=element.libelle,
                unite=element.unite,
                periodicite=_periodicite(element.periodicite),
                fibre=prix if element.emetteur == calcul.FIBRE else "—",
                cdg=prix if element.emetteur == calcul.CDG else "—",
            )
            section = sections[-1].titre if sections else ""
        if not sections or sections[-1].titre != section:
            sections.append(SectionAnnexe(titre=section))
        sections[-1].lignes.append(ligne)
    return sections


def _seuils(minimum: int, maximum: int | None, unite: str) -> str:
    if maximum is None:
        return f"plus de {format_nombre(minimum - 1)} {unite}"
    if minimum <= 0:
        return f"jusqu'à {format_nombre(maximum)} {unite}"
    return f"de {format_nombre(minimum)} à {format_nombre(maximum)} {unite}"


def _tableau_2(grille: calcul.Grille) -> dict:
    """Forfaits par catégorie : une colonne par tarif « selon la catégorie »."""
    colonnes = [
        (prestation, tarif)
        for prestation in sorted(grille.prestations.values(), key=lambda p: p.ordre)
        for tarif in prestation.tarifs
        if tarif.calcul == "categorie"
    ]
    entetes = [
        f"{prestation.libelle} — {Emetteur(tarif.emetteur).label} "
        f"({_periodicite(tarif.periodicite).lower()})"
        for prestation, tarif in colonnes
    ]
    lignes = [
        {
            "code": categorie.code,
            "population": _seuils(
                categorie.population_min, categorie.population_max, "hab."
            ),
            "agents": _seuils(categorie.agents_min, categorie.agents_max, "agents"),
            "montants": [
                _euros(tarif.montants_categorie.get(categorie.code))
                for _prestation, tarif in colonnes
            ],
        }
        for categorie in grille.categories
    ]
    return {"entetes": entetes, "lignes": lignes}


def convention_contexte(convention) -> dict:
    """Tout ce que le gabarit imprime, lu en un nombre fixe de requêtes."""
    from conventions.models import Organisme

    grille = convention.grille
    instantane = grille_instantane(grille)
    organismes = {o.emetteur: o for o in Organisme.objects.all()}
    signatures = {s.partie: s for s in convention.signatures.all()}
    return {
        "convention": convention,
        "collectivite": convention.collectivite,
        "grille": grille,
        "parties": _parties(convention, organismes, signatures),
        "tableau_1": _tableau_1(instantane),
        "tableau_2": _tableau_2(instantane),
        "a_completer": A_COMPLETER,
    }


def convention_pdf(convention) -> bytes:
    """La convention tripartite pré-remplie, grille en vigueur annexée (PDF)."""
    html = render_to_string(
        "conventions/pdf/convention.html", convention_contexte(convention)
    )
    return html_vers_pdf(html)
