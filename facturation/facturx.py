"""Le XML Factur-X (CII, profil EN 16931) d'une facture et son PDF hybride,
par la bibliothèque ``factur-x`` (module ``facturx``).

Règles (domaine §13) :

- tout vient des valeurs figées de la facture (jamais des données du jour) ;
- les émetteurs sont des personnes publiques dont les montants sont **hors du
  champ de la TVA** : chaque ligne et l'unique ventilation de TVA portent la
  catégorie « O » (*services outside scope of tax*), sans taux, avec
  0,00 € de TVA, la mention TVA de l'émetteur comme motif d'exonération (BT-120)
  et le code ``VATEX-EU-O`` (BT-121) ; aucune identification TVA n'est donnée
  (règle BR-O-02). Les montants TTC de la grille sont donc aussi les montants
  nets ;
- l'émetteur est identifié par son SIRET (schéma ``0009``), la collectivité par
  son SIRET, ou son SIREN (schéma ``0002``) si elle n'a pas de SIRET ;
- le devis accepté est la référence de commande (BT-14), la convention
  tripartite la référence de contrat (BT-12) ;
- une ligne au forfait (montant ≠ quantité × prix) donne son montant comme prix
  pour une quantité de base égale à la quantité facturée (BT-146 / BT-149) : le
  montant de la ligne reste celui du devis.

Le XML est validé contre le XSD officiel EN 16931 livré avec la bibliothèque
à sa génération ; la validation par schématron demande un serveur Saxon
(réseau) et n'est pas faite ici.
"""

from __future__ import annotations

import copy
from datetime import date
from decimal import Decimal

import facturx

NIVEAU = "en16931"
TYPE_FACTURE = "380"  # UNTDID 1001 : facture commerciale
DEVISE = "EUR"
PAYS = "FR"
CATEGORIE_TVA = "O"  # UNTDID 5305 : hors du champ de la TVA
CODE_EXONERATION = "VATEX-EU-O"
UNITE = "C62"  # UN/ECE Rec. 20 : « un » (compte, certificat, nom de domaine…)
SCHEMA_SIRET = "0009"
SCHEMA_SIREN = "0002"
NOTE_TVA = "TXD"  # UNTDID 4451 : information fiscale


class XmlInvalide(ValueError):
    """Le XML produit ne respecte pas le XSD EN 16931."""


def _montant(valeur) -> str:
    return f"{Decimal(valeur):.2f}"


def _date(valeur: str | date | None) -> date | None:
    if not valeur:
        return None
    return valeur if isinstance(valeur, date) else date.fromisoformat(valeur)


def identifiant_destinataire(destinataire: dict) -> tuple[str, str]:
    """(identifiant, schéma) de la collectivité : SIRET, sinon SIREN."""
    if destinataire.get("siret"):
        return destinataire["siret"], SCHEMA_SIRET
    return destinataire.get("siren") or "", SCHEMA_SIREN


def _vendeur(emetteur: dict) -> dict:
    vendeur = {
        "name": emetteur["nom"],
        "legal_identifier": emetteur["siret"],
        "legal_identifier_schemeid": SCHEMA_SIRET,
        "legal_info": emetteur.get("statut_juridique") or "",
        "einvoicing_addr": emetteur["siret"],
        "einvoicing_addr_schemeid": SCHEMA_SIRET,
        "addr_l1": emetteur.get("adresse") or "",
        "postcode": emetteur.get("code_postal") or "",
        "city": emetteur.get("ville") or "",
        "country_code": PAYS,
    }
    contact = {
        cle: emetteur[champ]
        for cle, champ in (("email", "email"), ("phone", "telephone"))
        if emetteur.get(champ)
    }
    if contact:
        vendeur["contacts"] = [contact]
    return vendeur


def _acheteur(destinataire: dict) -> dict:
    identifiant, schema = identifiant_destinataire(destinataire)
    return {
        "name": destinataire["nom"],
        "legal_identifier": identifiant,
        "legal_identifier_schemeid": schema,
        "einvoicing_addr": identifiant,
        "einvoicing_addr_schemeid": schema,
        "addr_l1": destinataire.get("adresse") or "",
        "postcode": destinataire.get("code_postal") or "",
        "city": destinataire.get("ville") or "",
        "country_code": PAYS,
    }


def _ligne(ligne: dict) -> dict:
    quantite = Decimal(ligne["quantite"])
    montant = Decimal(ligne["montant"])
    prix = ligne.get("prix_unitaire")
    donnees = {
        "BT-126": str(ligne["ordre"]),
        "BT-127-00": [{"BT-127": note} for note in ligne.get("notes") or []],
        "BT-129": str(quantite),
        "BT-130": UNITE,
        "BT-131": _montant(montant),
        "BT-151": CATEGORIE_TVA,
        "BT-153": ligne["libelle"],
        "BT-155": ligne["code"],
    }
    description = " — ".join(
        filter(None, [ligne.get("unite"), ligne.get("periodicite_libelle")])
    )
    if description:
        donnees["BT-154"] = description
    if prix is not None and Decimal(prix) * quantite == montant:
        donnees["BT-146"] = _montant(prix)
    else:
        # Forfait ou prix saisi sur devis : le montant pour toute la quantité.
        donnees["BT-146"] = _montant(montant)
        donnees["BT-149"] = str(quantite)
    if ligne.get("debut") and ligne.get("fin"):
        donnees["BT-134"] = _date(ligne["debut"])
        donnees["BT-135"] = _date(ligne["fin"])
    return donnees


def donnees_cii(facture) -> dict:
    """Le dictionnaire de ``facturx.generate_cii_xml`` (clés : numéros des
    termes métier EN 16931, BT-… et BG-…) tiré des valeurs figées."""
    total = _montant(facture.total_ttc)
    devis = facture.devis_fige
    notes = [{"BT-22": facture_objet(facture)}]
    notes.append({"BT-21": NOTE_TVA, "BT-22": facture.mention_tva})
    donnees = {
        "BT-1": facture.numero,
        "BT-2": _date(facture.date_emission),
        "BT-3": TYPE_FACTURE,
        "BT-5": DEVISE,
        "BT-9": _date(facture.date_echeance),
        "BT-14": devis["numero"],
        "BT-20": facture.conditions_paiement,
        "BG-1": notes,
        "BG-4": _vendeur(facture.emetteur_fige),
        "BG-7": _acheteur(facture.destinataire_fige),
        "BG-23": [
            {
                "BT-116": total,
                "BT-117": _montant(0),
                "BT-118": CATEGORIE_TVA,
                "BT-120": facture.mention_tva,
                "BT-121": CODE_EXONERATION,
            }
        ],
        "BG-25": [_ligne(ligne) for ligne in facture.lignes],
        "BT-106": total,
        "BT-109": total,
        "BT-110": _montant(0),
        "BT-112": total,
        "BT-115": total,
    }
    # Date d'exécution des services (BT-72) : l'acceptation du devis. (La
    # bibliothèque écrirait sinon une livraison vide, refusée par le XSD.)
    donnees["BT-72"] = _date(devis.get("accepte_le")) or _date(facture.date_emission)
    if devis.get("convention_id"):
        donnees["BT-12"] = f"Convention tripartite n°{devis['convention_id']}"
    debuts = [_date(ligne["debut"]) for ligne in facture.lignes if ligne.get("debut")]
    fins = [_date(ligne["fin"]) for ligne in facture.lignes if ligne.get("fin")]
    if debuts and fins:
        donnees["BT-73"], donnees["BT-74"] = min(debuts), max(fins)
    return donnees


def facture_objet(facture) -> str:
    """La phrase qui dit ce que la facture facture (note BG-1, PDF)."""
    devis = facture.devis_fige
    texte = f"Facture du devis {devis['numero']}"
    if devis.get("date_emission"):
        texte += f" du {_date(devis['date_emission']):%d/%m/%Y}"
    if devis.get("accepte_le"):
        texte += f", accepté le {_date(devis['accepte_le']):%d/%m/%Y}"
    return texte + " : mises en service et première année d'abonnement."


def facture_xml(facture) -> bytes:
    """Le XML CII de la facture, validé contre le XSD EN 16931 (lève
    :class:`XmlInvalide` sinon)."""
    # La bibliothèque réécrit le dictionnaire qu'on lui passe : une copie.
    donnees = copy.deepcopy(donnees_cii(facture))
    try:
        return facturx.generate_cii_xml(
            donnees, level=NIVEAU, check_xsd=True, check_schematron=False
        )
    except Exception as erreur:  # la bibliothèque lève des Exception nues
        raise XmlInvalide(str(erreur)) from erreur


def verifier_xml(xml: bytes) -> None:
    """Valide un XML contre le XSD Factur-X EN 16931 (lève :class:`XmlInvalide`)."""
    try:
        facturx.xml_check_xsd(xml, flavor="factur-x", level=NIVEAU)
    except Exception as erreur:
        raise XmlInvalide(str(erreur)) from erreur


def pdf_facturx(pdf_visible: bytes, xml: bytes, *, facture) -> bytes:
    """Le PDF Factur-X : le PDF/A-3 rendu par WeasyPrint, avec le XML embarqué
    (``factur-x.xml``, relation ``Data``) et les métadonnées XMP Factur-X
    (PDF/A-3B, profil EN 16931)."""
    emetteur = facture.emetteur_fige["nom"]
    destinataire = facture.destinataire_fige["nom"]
    return facturx.generate_from_binary(
        pdf_visible,
        xml,
        flavor="factur-x",
        level=NIVEAU,
        check_xsd=True,
        pdf_metadata={
            "author": emetteur,
            "keywords": "Factur-X, facture",
            "title": f"{emetteur} : facture {facture.numero}",
            "subject": (
                f"Facture Factur-X {facture.numero} du "
                f"{_date(facture.date_emission):%d/%m/%Y} émise par {emetteur} "
                f"pour {destinataire}"
            ),
        },
        lang="fr-FR",
    )
