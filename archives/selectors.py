"""Ce qu'une archive d'une période contient.

- chaque **devis émis** dans la période (numéro et PDF stocké), quel que soit son
  état aujourd'hui (accepté, refusé, expiré, annulé, remplacé…) : son PDF émis ;
- chaque **convention signée** dans la période — signée par les trois parties,
  la dernière signature tombant dans la période, quel que soit son état
  aujourd'hui (en vigueur, résiliée, expirée) : le PDF généré à la troisième
  signature et le scan signé déposé, s'ils existent.

Le producteur (service d'origine) d'un devis est son émetteur, tel qu'imprimé
(identité figée à l'émission) ; celui d'une convention est le CDG 62, qui la
tient et l'archive.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

from django.db.models import Count, Max, Q
from django.db.models.fields.files import FieldFile
from django.utils.text import slugify

from conventions.models import Convention, Organisme, Signature
from devis.models import Devis
from tarifs.enums import Emetteur

DEVIS = "devis"
CONVENTION_SIGNEE = "convention_signee"
SCAN = "scan"
TYPES = {
    DEVIS: "Devis émis",
    CONVENTION_SIGNEE: "Convention signée (PDF généré)",
    SCAN: "Convention signée (scan déposé)",
}

# Caractères refusés par XML 1.0 : jamais écrits dans le manifeste.
_HORS_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def texte_sur(valeur: str) -> str:
    """Texte sans les caractères de contrôle que XML 1.0 refuse."""
    return _HORS_XML.sub("", str(valeur or ""))


def _jeton(valeur: str) -> str:
    """Fragment d'identifiant et de chemin : lettres, chiffres, « . _ - »."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", valeur).strip("-.") or "x"


@dataclass
class Producteur:
    identifiant: str
    nom: str


@dataclass
class Document:
    """Un fichier à archiver, avec ce que le manifeste en dit."""

    identifiant: str  # unique, valable comme identifiant XML (NCName)
    type: str
    chemin: str  # nom du fichier dans le ZIP
    titre: str
    date: datetime.date
    producteur: Producteur
    collectivite: str
    fichier: FieldFile
    sha256_enregistre: str

    @property
    def libelle_type(self) -> str:
        return TYPES[self.type]

    @property
    def nom_fichier(self) -> str:
        return self.chemin.rsplit("/", 1)[-1]


def producteur_cdg() -> Producteur:
    """Le CDG 62 : producteur des conventions, service d'archives et versant."""
    cdg = Organisme.objects.filter(code=Emetteur.CDG).first()
    if cdg is None:
        return Producteur(identifiant=Emetteur.CDG.value, nom=Emetteur.CDG.label)
    return Producteur(identifiant=cdg.siret or cdg.code, nom=cdg.nom)


def devis_de_la_periode(du: datetime.date, au: datetime.date) -> list[Document]:
    devis = (
        Devis.objects.filter(numero__isnull=False, date_emission__range=(du, au))
        .exclude(pdf="")
        .order_by("date_emission", "numero")
    )
    documents = []
    for un in devis:
        emetteur = un.emetteur_fige or {}
        destinataire = (un.destinataire_fige or {}).get("nom", "")
        producteur = Producteur(
            identifiant=emetteur.get("siret") or emetteur.get("code", ""),
            nom=emetteur.get("nom", ""),
        )
        numero = _jeton(un.numero)
        documents.append(
            Document(
                identifiant=f"devis-{numero}",
                type=DEVIS,
                chemin=f"devis/{_jeton(emetteur.get('code') or 'emetteur')}/"
                f"{numero}.pdf",
                titre=texte_sur(f"Devis {un.numero} — {destinataire}"),
                date=un.date_emission,
                producteur=producteur,
                collectivite=texte_sur(destinataire),
                fichier=un.pdf,
                sha256_enregistre=un.pdf_sha256,
            )
        )
    return documents


def conventions_signees_de_la_periode(du: datetime.date, au: datetime.date):
    """Les conventions signées par les trois parties, la dernière dans la période
    (``signee_le`` : la date de la dernière signature)."""
    return (
        Convention.objects.annotate(
            signee_le=Max("signatures__date"),
            parties=Count("signatures__partie", distinct=True),
        )
        .filter(parties=len(Signature.Partie.values), signee_le__range=(du, au))
        .filter(~Q(pdf_signe="") | ~Q(scan=""))
        .select_related("collectivite")
        .order_by("signee_le", "pk")
    )


def documents_des_conventions(du: datetime.date, au: datetime.date) -> list[Document]:
    cdg = producteur_cdg()
    documents = []
    for convention in conventions_signees_de_la_periode(du, au):
        nom = texte_sur(convention.collectivite.nom)
        base = f"convention-{convention.pk}-{_jeton(slugify(nom))}"
        commun = dict(date=convention.signee_le, producteur=cdg, collectivite=nom)
        if convention.pdf_signe:
            documents.append(
                Document(
                    identifiant=f"convention-{convention.pk}-signee",
                    type=CONVENTION_SIGNEE,
                    chemin=f"conventions/{base}-signee.pdf",
                    titre=f"Convention tripartite n°{convention.pk} signée — {nom}",
                    fichier=convention.pdf_signe,
                    sha256_enregistre=convention.pdf_signe_sha256,
                    **commun,
                )
            )
        if convention.scan:
            documents.append(
                Document(
                    identifiant=f"convention-{convention.pk}-scan",
                    type=SCAN,
                    chemin=f"conventions/{base}-scan.pdf",
                    titre=f"Convention tripartite n°{convention.pk}, scan signé — "
                    f"{nom}",
                    fichier=convention.scan,
                    sha256_enregistre=convention.scan_sha256,
                    **commun,
                )
            )
    return documents


def documents_de_la_periode(du: datetime.date, au: datetime.date) -> list[Document]:
    """Tous les documents à archiver pour la période, devis puis conventions."""
    return devis_de_la_periode(du, au) + documents_des_conventions(du, au)


def exports_recents(limite: int = 30):
    from archives.models import ExportArchive

    return ExportArchive.objects.select_related("lance_par")[:limite]
