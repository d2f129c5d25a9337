"""Tout ce qu'imprime un devis (WeasyPrint, via le moteur commun
``conventions.moteur_pdf``).

Un devis émis imprime uniquement ses valeurs figées (``emetteur_fige``,
``destinataire_fige``, ``grille_fige``, ``convention_fige``, lignes et totaux
copiés) : son PDF est rendu une seule fois, à l'émission, puis le fichier
stocké est servi tel quel. Un brouillon s'imprime à partir des données du jour,
marqué « PROJET — non émis ».

Les fonctions ``identite_*`` / ``reference_*`` construisent ces valeurs : le
service d'émission les copie sur le devis, l'aperçu d'un brouillon les lit en
direct — une seule définition de « ce qui est imprimé ».
"""

from __future__ import annotations

import base64
import mimetypes
from datetime import date, timedelta

from django.template.loader import render_to_string
from django.utils import timezone

from conventions.fichiers import empreinte_sha256
from conventions.formats import format_euros, format_nombre
from conventions.models import Collectivite, Convention, Organisme
from conventions.moteur_pdf import html_vers_pdf
from conventions.selectors import convention_courante
from devis.models import Devis, LigneDevis
from tarifs.enums import Periodicite

A_COMPLETER = "à compléter"
FEUILLES = ("css/pdf.css", "css/devis-pdf.css")
VARIANTE_PDF_EMIS = "pdf/a-3b"
# Début de ``Devis.categorie_base`` quand un agent a forcé la catégorie.
BASE_FORCEE = "forcée par le CDG"
PERIODICITES = {Periodicite.UNIQUE: "Unique", Periodicite.ANNUELLE: "Annuelle"}


# --- Valeurs imprimées (figées à l'émission) ---


def _iso(jour: date | None) -> str | None:
    return jour.isoformat() if jour else None


def identite_emetteur(organisme: Organisme) -> dict:
    """Identité de l'émetteur telle qu'imprimée sur le devis."""
    return {
        "code": organisme.code,
        "nom": organisme.nom,
        "statut_juridique": organisme.statut_juridique,
        "adresse": organisme.adresse,
        "code_postal": organisme.code_postal,
        "ville": organisme.ville,
        "siret": organisme.siret,
        "email": organisme.email,
        "telephone": organisme.telephone,
        "signataire_nom": organisme.signataire_nom,
        "signataire_qualite": organisme.signataire_qualite,
        "mention_tva": organisme.mention_tva,
        "logo": organisme.logo.name or "",
        "prefixe_numero": organisme.prefixe_numero,
        "validite_jours": organisme.validite_jours,
    }


def identite_destinataire(collectivite: Collectivite) -> dict:
    """Identité de la collectivité destinataire telle qu'imprimée."""
    return {
        "id": collectivite.pk,
        "nom": collectivite.nom,
        "type": collectivite.type,
        "type_libelle": collectivite.get_type_display(),
        "adresse": collectivite.adresse,
        "code_postal": collectivite.code_postal,
        "ville": collectivite.ville,
        "siren": collectivite.siren,
        "siret": collectivite.siret,
        "code_insee": collectivite.code_insee,
        "population": collectivite.population,
        "population_annee": collectivite.population_annee,
        "agents": collectivite.agents,
        "agents_date": _iso(collectivite.agents_date),
    }


def reference_grille(grille) -> dict:
    """La version de grille et la délibération qui l'a adoptée."""
    return {
        "id": grille.pk,
        "reference": grille.reference,
        "date_deliberation": _iso(grille.date_deliberation),
        "date_effet": _iso(grille.date_effet),
        "instance": grille.instance,
    }


def reference_convention(convention: Convention | None) -> dict:
    if convention is None:
        return {}
    return {
        "id": convention.pk,
        "statut": convention.statut,
        "statut_libelle": convention.get_statut_display(),
        "date_effet": _iso(convention.date_effet),
    }


def base_categorie(collectivite: Collectivite) -> str:
    """Ce qui fonde la catégorie, tel qu'imprimé (« population totale 1 500 hab.
    (2021) ») ; copié sur le devis (``Devis.categorie_base``)."""
    if collectivite.categorie_forcee:
        return f"{BASE_FORCEE} : {collectivite.categorie_forcee_motif}"
    if collectivite.population is not None:
        texte = f"population totale {format_nombre(collectivite.population)} hab."
        if collectivite.population_annee:
            texte += f" ({collectivite.population_annee})"
        return texte
    if collectivite.agents is not None:
        texte = f"{format_nombre(collectivite.agents)} agents"
        if collectivite.agents_date:
            texte += f" (au {collectivite.agents_date:%d/%m/%Y})"
        return texte
    return ""


# --- Mise en forme ---


def _jj_mm_aaaa(valeur: date | str | None) -> str:
    if not valeur:
        return ""
    if isinstance(valeur, str):
        valeur = date.fromisoformat(valeur)
    return f"{valeur:%d/%m/%Y}"


def _ou_a_completer(valeur) -> str:
    texte = str(valeur).strip() if valeur not in (None, "") else ""
    return texte or A_COMPLETER


def _adresse(identite: dict) -> list[str]:
    lignes = [identite.get("adresse") or ""]
    lignes.append(
        " ".join(filter(None, [identite.get("code_postal"), identite.get("ville")]))
    )
    lignes = [ligne for ligne in lignes if ligne]
    return lignes or [f"Adresse : {A_COMPLETER}"]


def _identifiant(destinataire: dict) -> str:
    """« SIRET : … » s'il est connu, sinon « SIREN : … » (une commune du
    référentiel n'a que son SIREN)."""
    if destinataire.get("siret"):
        return f"SIRET : {destinataire['siret']}"
    if destinataire.get("siren"):
        return f"SIREN : {destinataire['siren']}"
    return f"SIRET : {A_COMPLETER}"


def _code_insee(destinataire: dict) -> str:
    """Le code INSEE d'une commune (ou s'il est connu) ; rien pour un CCAS."""
    if destinataire.get("code_insee"):
        return destinataire["code_insee"]
    return A_COMPLETER if destinataire.get("type") == "commune" else ""


def _logo_data_uri(chemin: str) -> str:
    """Le logo embarqué en ``data:`` : le rendu n'accède qu'aux fichiers statiques."""
    if not chemin:
        return ""
    stockage = Organisme._meta.get_field("logo").storage
    try:
        with stockage.open(chemin, "rb") as fichier:
            contenu = fichier.read()
    except OSError:
        return ""
    type_mime = mimetypes.guess_type(chemin)[0] or "image/png"
    return f"data:{type_mime};base64,{base64.b64encode(contenu).decode('ascii')}"


def _ligne(ligne: LigneDevis) -> dict:
    """Une ligne du tableau : prix et montant tels qu'imprimés."""
    notes = []
    if ligne.mode == LigneDevis.Mode.INCLUS:
        prix = montant = "Inclus"
    elif ligne.mode == LigneDevis.Mode.SUR_DEVIS:
        prix = "Sur devis"
        if ligne.montant is None:
            montant = "Sur devis — à chiffrer"
        else:
            montant = format_euros(ligne.montant)
            notes.append(
                f"Sur devis — {format_euros(ligne.montant)} : {ligne.justification}"
            )
    else:
        montant = format_euros(ligne.montant)
        # Barème forfaitaire : le montant n'est pas « quantité × prix ».
        if (
            ligne.prix_unitaire is not None
            and ligne.montant is not None
            and ligne.prix_unitaire * ligne.quantite != ligne.montant
        ):
            prix = "Forfait"
        else:
            prix = format_euros(ligne.prix_unitaire)
    if ligne.mention:
        notes.append(ligne.mention)
    return {
        "section": ligne.section,
        "libelle": ligne.libelle,
        "unite": ligne.unite,
        "quantite": format_nombre(ligne.quantite),
        "prix": prix,
        "montant": montant,
        "periodicite": PERIODICITES.get(ligne.periodicite, ligne.periodicite),
        "mode": ligne.mode,
        "notes": notes,
    }


def _categorie(devis: Devis) -> str:
    if not devis.categorie:
        return ""
    texte = f"Catégorie {devis.categorie}"
    if devis.categorie_base:
        texte += f" — {devis.categorie_base}"
    return texte


def _convention(reference: dict) -> str:
    if not reference:
        return (
            "Devis établi dans le cadre de la convention tripartite "
            "collectivité · La Fibre Numérique 59-62 · CDG 62 (à conclure)."
        )
    texte = (
        f"Devis établi dans le cadre de la convention tripartite n°{reference['id']} "
        "entre la collectivité, La Fibre Numérique 59-62 et le CDG 62"
    )
    if reference.get("statut") == Convention.Statut.SIGNEE and reference.get(
        "date_effet"
    ):
        texte += f", en vigueur depuis le {_jj_mm_aaaa(reference['date_effet'])}"
    elif reference.get("statut_libelle"):
        texte += f" ({reference['statut_libelle'].lower()})"
    return texte + "."


def _deliberation(grille: dict) -> str:
    texte = (
        f"Tarifs fixés par la délibération {grille['reference']} du "
        f"{_jj_mm_aaaa(grille['date_deliberation'])}"
    )
    if grille.get("instance"):
        texte += f" du {grille['instance']}"
    return texte + "."


def devis_contexte(devis: Devis, *, projet: bool) -> dict:
    """Tout ce que le gabarit imprime.

    Devis émis (``projet=False``) : seulement les valeurs figées. Brouillon :
    les données du jour, la date d'émission et la validité « si émis
    aujourd'hui ».
    """
    projet = projet or devis.est_brouillon
    if projet:
        organisme = devis.emetteur
        emetteur = identite_emetteur(organisme)
        destinataire = identite_destinataire(devis.collectivite)
        grille = reference_grille(devis.grille)
        convention = reference_convention(convention_courante(devis.collectivite))
        aujourdhui = timezone.localdate()
        date_emission = devis.date_emission or aujourdhui
        date_validite = devis.date_validite or (
            aujourdhui + timedelta(days=organisme.validite_jours)
        )
    else:
        emetteur = devis.emetteur_fige
        destinataire = devis.destinataire_fige
        grille = devis.grille_fige
        convention = devis.convention_fige
        date_emission, date_validite = devis.date_emission, devis.date_validite

    population = destinataire.get("population")
    if devis.categorie_base and not devis.categorie_base.startswith(BASE_FORCEE):
        chiffre = ""  # déjà dans « Catégorie B — population totale … »
    elif population is not None:
        chiffre = f"Population totale : {format_nombre(population)} habitants"
        if destinataire.get("population_annee"):
            chiffre += f" ({destinataire['population_annee']})"
    elif destinataire.get("agents") is not None:
        chiffre = f"Nombre d'agents : {format_nombre(destinataire['agents'])}"
        if destinataire.get("agents_date"):
            chiffre += f" (au {_jj_mm_aaaa(destinataire['agents_date'])})"
    else:
        chiffre = ""

    lignes_devis = list(devis.lignes.all())
    lignes = [_ligne(ligne) for ligne in lignes_devis]
    section = None
    for ligne in lignes:
        ligne["nouvelle_section"] = bool(ligne["section"]) and ligne["section"] != (
            section
        )
        if ligne["section"]:
            section = ligne["section"]

    signataire = emetteur.get("signataire_nom") or ""
    if signataire and emetteur.get("signataire_qualite"):
        signataire += f", {emetteur['signataire_qualite']}"

    return {
        "projet": projet,
        "numero": "" if projet else devis.numero,
        "titre": "Projet de devis" if projet else f"Devis {devis.numero}",
        "date_emission": _jj_mm_aaaa(date_emission),
        "date_validite": _jj_mm_aaaa(date_validite),
        "emetteur": {
            "nom": emetteur.get("nom", ""),
            "statut_juridique": _ou_a_completer(emetteur.get("statut_juridique")),
            "adresse": _adresse(emetteur),
            "siret": _ou_a_completer(emetteur.get("siret")),
            "email": emetteur.get("email", ""),
            "telephone": emetteur.get("telephone", ""),
            "signataire": signataire or A_COMPLETER,
            "logo": _logo_data_uri(emetteur.get("logo", "")),
        },
        "destinataire": {
            "nom": destinataire.get("nom", ""),
            "type": destinataire.get("type_libelle", ""),
            "adresse": _adresse(destinataire),
            "identifiant": _identifiant(destinataire),
            "code_insee": _code_insee(destinataire),
            "categorie": _categorie(devis),
            "chiffre": chiffre,
        },
        "lignes": lignes,
        "total_unique": format_euros(devis.total_unique),
        "total_annuel": format_euros(devis.total_annuel),
        "total_premiere_annee": format_euros(devis.total_premiere_annee),
        "reste_a_chiffrer": any(ligne.a_chiffrer for ligne in lignes_devis),
        "mention_tva": emetteur.get("mention_tva") or "",
        "mention_inclus": devis.mention_inclus,
        "convention": _convention(convention),
        "deliberation": _deliberation(grille),
        "grille_reference": grille.get("reference", ""),
    }


def devis_html(devis: Devis, *, projet: bool) -> str:
    """Le HTML du devis (gabarit autonome ``devis/pdf/devis.html``)."""
    return render_to_string(
        "devis/pdf/devis.html", devis_contexte(devis, projet=projet)
    )


def devis_rendre_pdf(devis: Devis, *, projet: bool = False) -> bytes:
    """Rend le PDF du devis : PDF/A-3b pour un devis émis, aperçu « PROJET »
    pour un brouillon. Ne stocke rien (voir ``devis_emettre``)."""
    projet = projet or devis.est_brouillon
    options = {} if projet else {"pdf_variant": VARIANTE_PDF_EMIS}
    return html_vers_pdf(
        devis_html(devis, projet=projet), feuilles_de_style=FEUILLES, **options
    )


def empreinte(contenu: bytes) -> str:
    return empreinte_sha256(contenu)


def devis_pdf_stocke(devis: Devis) -> bytes:
    """Les octets du PDF stocké à l'émission (jamais re-rendu).

    Lève ``ValueError`` si le fichier ne correspond plus à son SHA-256.
    """
    with devis.pdf.open("rb") as fichier:
        contenu = fichier.read()
    if devis.pdf_sha256 and empreinte(contenu) != devis.pdf_sha256:
        raise ValueError(f"Le PDF du devis {devis.numero} a été altéré.")
    return contenu
