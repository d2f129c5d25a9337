"""Tout ce qu'imprime une facture (WeasyPrint, via le moteur commun
``conventions.moteur_pdf``), dans l'allure du devis.

Une facture imprime uniquement ses valeurs figées (``emetteur_fige``,
``destinataire_fige``, ``devis_fige``, ``lignes``, totaux, mentions) : son PDF
est rendu une seule fois, à l'émission (PDF/A-3b, auquel ``facturation.facturx``
joint le XML), puis le fichier stocké est servi tel quel.

:func:`lignes_figees` et :func:`reference_devis` construisent ces valeurs à
partir du devis accepté : le service d'émission les copie sur la facture.
"""

from __future__ import annotations

import base64
import mimetypes
from datetime import date, timedelta
from decimal import Decimal

from django.core.exceptions import ObjectDoesNotExist
from django.template.loader import render_to_string

from conventions.formats import format_euros, format_nombre
from conventions.models import Organisme
from conventions.moteur_pdf import html_vers_pdf
from devis.models import Devis, LigneDevis
from facturation.facturx import facture_objet, identifiant_destinataire
from tarifs.enums import Periodicite

FEUILLES = ("css/pdf.css", "css/devis-pdf.css")
VARIANTE_PDF = "pdf/a-3b"
PERIODICITES = {Periodicite.UNIQUE: "Unique", Periodicite.ANNUELLE: "Annuelle"}


# --- Valeurs imprimées (figées à l'émission) ---


def _un_an_apres(debut: date) -> date:
    """Dernier jour d'une année de service commencée ``debut``."""
    try:
        suivant = debut.replace(year=debut.year + 1)
    except ValueError:  # 29 février
        suivant = debut.replace(year=debut.year + 1, day=28)
    return suivant - timedelta(days=1)


def _debut_du_service(ligne: LigneDevis, accepte_le: date) -> date:
    """Le début de l'abonnement né de la ligne (``abonnements``), sinon la date
    d'acceptation du devis (domaine §12)."""
    try:
        return ligne.abonnement.debut
    except ObjectDoesNotExist:
        return accepte_le


def _notes(ligne: LigneDevis) -> list[str]:
    notes = []
    if ligne.mode == LigneDevis.Mode.INCLUS:
        notes.append("Inclus, sans frais.")
    if ligne.prix_manuel and ligne.justification:
        notes.append(f"Prix sur devis : {ligne.justification}")
    if ligne.mention:
        notes.append(ligne.mention)
    return notes


def lignes_figees(devis: Devis, *, accepte_le: date) -> list[dict]:
    """Les lignes du devis telles que la facture les imprime (montants en
    chaînes décimales) ; une ligne annuelle porte sa première année de service."""
    lignes = []
    for rang, ligne in enumerate(devis.lignes.all(), start=1):
        annuelle = ligne.periodicite == Periodicite.ANNUELLE
        debut = _debut_du_service(ligne, accepte_le) if annuelle else None
        lignes.append(
            {
                "ordre": rang,
                "code": ligne.code,
                "libelle": ligne.libelle,
                "section": ligne.section,
                "unite": ligne.unite,
                "quantite": ligne.quantite,
                "prix_unitaire": (
                    None if ligne.prix_unitaire is None else str(ligne.prix_unitaire)
                ),
                "montant": str(ligne.montant),
                "periodicite": ligne.periodicite,
                "periodicite_libelle": PERIODICITES.get(
                    ligne.periodicite, ligne.periodicite
                ),
                "mode": ligne.mode,
                "notes": _notes(ligne),
                "debut": debut.isoformat() if debut else None,
                "fin": _un_an_apres(debut).isoformat() if debut else None,
            }
        )
    return lignes


def reference_devis(devis: Devis) -> dict:
    """Le devis facturé : numéro, dates, signataire, convention et grille."""
    return {
        "id": devis.pk,
        "numero": devis.numero,
        "date_emission": devis.date_emission.isoformat(),
        "accepte_le": devis.accepte_le.date().isoformat() if devis.accepte_le else None,
        "signataire_nom": devis.signataire_nom,
        "signataire_qualite": devis.signataire_qualite,
        "convention_id": (devis.convention_fige or {}).get("id"),
        "grille_reference": (devis.grille_fige or {}).get("reference", ""),
        "mention_inclus": devis.mention_inclus,
    }


# --- Mise en forme ---


def _jj_mm_aaaa(valeur: date | str | None) -> str:
    if not valeur:
        return ""
    if isinstance(valeur, str):
        valeur = date.fromisoformat(valeur)
    return f"{valeur:%d/%m/%Y}"


def _adresse(identite: dict) -> list[str]:
    lignes = [
        identite.get("adresse") or "",
        " ".join(filter(None, [identite.get("code_postal"), identite.get("ville")])),
    ]
    return [ligne for ligne in lignes if ligne]


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


def _prix(ligne: dict) -> str:
    if ligne["mode"] == LigneDevis.Mode.INCLUS:
        return "Inclus"
    if ligne["prix_unitaire"] is None:
        return "Sur devis"
    if Decimal(ligne["prix_unitaire"]) * ligne["quantite"] != Decimal(ligne["montant"]):
        return "Forfait"
    return format_euros(ligne["prix_unitaire"])


def _ligne(ligne: dict) -> dict:
    periode = ""
    if ligne.get("debut") and ligne.get("fin"):
        periode = f"du {_jj_mm_aaaa(ligne['debut'])} au {_jj_mm_aaaa(ligne['fin'])}"
    return {
        "section": ligne["section"],
        "libelle": ligne["libelle"],
        "unite": ligne["unite"],
        "quantite": format_nombre(ligne["quantite"]),
        "prix": _prix(ligne),
        "montant": format_euros(ligne["montant"]),
        "periodicite": ligne["periodicite_libelle"],
        "periode": periode,
        "mode": ligne["mode"],
        "notes": ligne["notes"],
    }


def facture_contexte(facture) -> dict:
    """Tout ce que le gabarit imprime, tiré des seules valeurs figées."""
    emetteur = facture.emetteur_fige
    destinataire = facture.destinataire_fige
    devis = facture.devis_fige
    identifiant, schema = identifiant_destinataire(destinataire)
    lignes = [_ligne(ligne) for ligne in facture.lignes]
    section = None
    for ligne in lignes:
        ligne["nouvelle_section"] = bool(ligne["section"]) and (
            ligne["section"] != section
        )
        if ligne["section"]:
            section = ligne["section"]
    signataire = devis.get("signataire_nom") or ""
    if signataire and devis.get("signataire_qualite"):
        signataire += f", {devis['signataire_qualite']}"
    convention = ""
    if devis.get("convention_id"):
        convention = (
            f"Convention tripartite n°{devis['convention_id']} entre la "
            "collectivité, La Fibre Numérique 59-62 et le CDG 62."
        )
    return {
        "numero": facture.numero,
        "titre": f"Facture {facture.numero}",
        "date_emission": _jj_mm_aaaa(facture.date_emission),
        "date_echeance": _jj_mm_aaaa(facture.date_echeance),
        "emetteur": {
            "nom": emetteur.get("nom", ""),
            "statut_juridique": emetteur.get("statut_juridique", ""),
            "adresse": _adresse(emetteur),
            "siret": emetteur.get("siret", ""),
            "email": emetteur.get("email", ""),
            "telephone": emetteur.get("telephone", ""),
            "logo": _logo_data_uri(emetteur.get("logo", "")),
        },
        "destinataire": {
            "nom": destinataire.get("nom", ""),
            "type": destinataire.get("type_libelle", ""),
            "adresse": _adresse(destinataire),
            "identifiant": (
                f"{'SIRET' if schema == '0009' else 'SIREN'} : {identifiant}"
            ),
            "code_insee": destinataire.get("code_insee", ""),
        },
        "devis": {
            "numero": devis["numero"],
            "date_emission": _jj_mm_aaaa(devis.get("date_emission")),
            "accepte_le": _jj_mm_aaaa(devis.get("accepte_le")),
            "signataire": signataire,
            "grille_reference": devis.get("grille_reference", ""),
        },
        "objet": facture_objet(facture),
        "convention": convention,
        "mention_inclus": devis.get("mention_inclus", ""),
        "lignes": lignes,
        "total_unique": format_euros(facture.total_unique),
        "total_annuel": format_euros(facture.total_annuel),
        "total_ttc": format_euros(facture.total_ttc),
        "mention_tva": facture.mention_tva,
        "conditions_paiement": facture.conditions_paiement,
    }


def facture_html(facture) -> str:
    """Le HTML de la facture (gabarit autonome ``facturation/pdf/facture.html``)."""
    return render_to_string("facturation/pdf/facture.html", facture_contexte(facture))


def facture_rendre_pdf(facture) -> bytes:
    """Le PDF visible de la facture, en PDF/A-3b (le XML y est joint ensuite par
    ``facturation.facturx.pdf_facturx``). Ne stocke rien."""
    return html_vers_pdf(
        facture_html(facture), feuilles_de_style=FEUILLES, pdf_variant=VARIANTE_PDF
    )
