"""Rien ne part incomplet : ce qu'un document imprimerait « à compléter ».

Un devis ne s'émet pas, une convention ne part pas en signature et ne se signe
pas tant qu'un fait qu'ils impriment manque : identité des émetteurs (statut,
adresse, SIRET, mention TVA, signataire), adresse et identifiants de la
collectivité, termes de la convention (durée, renouvellement, préavis).

Chaque manque porte son libellé (« le SIRET de La Fibre Numérique 59-62 ») et
le lien de la page où il se renseigne (administration de l'organisme, fiche
de la collectivité, termes de la convention). Les services lèvent
:class:`DocumentIncomplet` (message en texte simple qui nomme chaque manque) ;
les pages affichent la liste avec les liens.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.urls import reverse

from conventions.models import Collectivite, Organisme, TermesConvention
from tarifs.models import Emetteur


@dataclass(frozen=True)
class Manque:
    libelle: str
    lien: str


class DocumentIncomplet(ValidationError):
    """Refus motivé par des faits manquants ; ``manques`` garde les liens."""

    def __init__(self, debut: str, manques: list[Manque]):
        liste = " ; ".join(m.libelle for m in manques)
        super().__init__(f"{debut} : il manque {liste}.", code="incomplet")
        self.manques = manques


CHAMPS_EMETTEUR = (
    ("statut_juridique", "le statut juridique"),
    ("adresse", "l'adresse"),
    ("code_postal", "le code postal"),
    ("ville", "la ville"),
    ("siret", "le SIRET"),
    ("mention_tva", "la mention TVA"),
    ("signataire_nom", "le nom du signataire"),
    ("signataire_qualite", "la qualité du signataire"),
)

CHAMPS_DESTINATAIRE = (
    ("adresse", "l'adresse"),
    ("code_postal", "le code postal"),
    ("ville", "la commune de l'adresse"),
)


def _vide(valeur) -> bool:
    return valeur is None or str(valeur).strip() == ""


def manques_emetteur(organisme: Organisme | None, code: str = "") -> list[Manque]:
    """Ce que l'identité d'un émetteur imprimerait « à compléter »."""
    if organisme is None:
        return [
            Manque(
                f"l'organisme émetteur « {Emetteur(code).label} »",
                reverse("admin:conventions_organisme_add"),
            )
        ]
    lien = reverse("admin:conventions_organisme_change", args=[organisme.pk])
    return [
        Manque(f"{libelle} de {organisme.nom}", lien)
        for champ, libelle in CHAMPS_EMETTEUR
        if _vide(getattr(organisme, champ))
    ]


def manques_destinataire(collectivite: Collectivite) -> list[Manque]:
    """Ce que l'identité de la collectivité imprimerait « à compléter »."""
    lien = reverse("gestion:collectivite_modifier", kwargs={"pk": collectivite.pk})
    manques = [
        Manque(f"{libelle} de {collectivite.nom}", lien)
        for champ, libelle in CHAMPS_DESTINATAIRE
        if _vide(getattr(collectivite, champ))
    ]
    if _vide(collectivite.siren) and _vide(collectivite.siret):
        manques.append(Manque(f"le SIREN ou le SIRET de {collectivite.nom}", lien))
    if collectivite.type == Collectivite.Type.COMMUNE and _vide(
        collectivite.code_insee
    ):
        manques.append(Manque(f"le code INSEE de {collectivite.nom}", lien))
    return manques


def manques_termes(termes: TermesConvention | None) -> list[Manque]:
    """Ce que l'article 7 et l'article 9 imprimeraient « à compléter »."""
    if termes is None:
        return [
            Manque(
                "les termes de la convention (aucune version publiée n'est en "
                "vigueur : durée, renouvellement, préavis)",
                reverse("admin:conventions_termesconvention_changelist"),
            )
        ]
    lien = reverse("admin:conventions_termesconvention_change", args=[termes.pk])
    manques = []
    if termes.duree_annees is None:
        manques.append(Manque("la durée de la convention", lien))
    if _vide(termes.reconduction):
        manques.append(Manque("les conditions de renouvellement", lien))
    if termes.preavis_mois is None:
        manques.append(Manque("le préavis de résiliation", lien))
    return manques


def organismes_par_code() -> dict[str, Organisme]:
    return {o.code: o for o in Organisme.objects.all()}


def manques_convention(
    collectivite: Collectivite,
    termes: TermesConvention | None,
    organismes: dict[str, Organisme] | None = None,
) -> list[Manque]:
    """Tout ce que la convention imprimerait « à compléter »."""
    organismes = organismes_par_code() if organismes is None else organismes
    manques = manques_destinataire(collectivite)
    for code in (Emetteur.FIBRE, Emetteur.CDG):
        manques += manques_emetteur(organismes.get(code), code)
    return manques + manques_termes(termes)
