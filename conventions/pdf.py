"""Ce qu'imprime la convention tripartite : identités des trois parties,
articles, grille tarifaire en annexe (moteur : ``conventions.moteur_pdf``)."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.template.loader import render_to_string

from conventions.formats import format_euros, format_nombre
from conventions.moteur_pdf import html_vers_pdf
from tarifs import calcul
from tarifs.enums import Periodicite
from tarifs.models import Emetteur
from tarifs.selectors import grille_instantane

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


def _identifiants(collectivite) -> tuple[tuple[str, str], ...]:
    """SIRET s'il est connu, sinon SIREN (une commune du référentiel n'a que
    son SIREN) ; code INSEE pour une commune ou s'il est renseigné."""
    if collectivite.siret:
        lignes = [("SIRET", collectivite.siret)]
    elif collectivite.siren:
        lignes = [("SIREN", collectivite.siren)]
    else:
        lignes = [("SIREN", A_COMPLETER)]
    if collectivite.code_insee or collectivite.type == "commune":
        lignes.append(("Code INSEE", _ou_a_completer(collectivite.code_insee)))
    return tuple(lignes)


# Avant la signature de la collectivité, son représentant n'est pas encore
# nommé : la formule d'usage, pas un blanc.
REPRESENTANT_COLLECTIVITE = "son représentant légal, dûment habilité"


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
                *_identifiants(collectivite),
            ),
            representant=_representant(
                signatures.get("collectivite"), REPRESENTANT_COLLECTIVITE, ""
            ),
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
    libelles = {Periodicite.UNIQUE: "Unique", Periodicite.ANNUELLE: "Annuelle"}
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
                fibre=_prix(tarifs.get(Emetteur.FIBRE), element.unite),
                cdg=_prix(tarifs.get(Emetteur.CDG), element.unite),
            )
            section = element.section
        else:  # ligne dérivée : rangée dans la section qui la précède
            prix = _bareme(element.bareme, _unite_bareme(element.unite))
            ligne = LigneAnnexe(
                libelle=element.libelle,
                unite=element.unite,
                periodicite=_periodicite(element.periodicite),
                fibre=prix if element.emetteur == Emetteur.FIBRE else "—",
                cdg=prix if element.emetteur == Emetteur.CDG else "—",
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


# Ce que le pied de page dit de l'exemplaire imprimé.
VERSIONS = {
    "projet": "projet",
    "envoyee": "exemplaire à signer",
    "signee": "version signée",
}


def _termes(termes) -> dict:
    """Durée, renouvellement et préavis imprimés (articles 7 et 9)."""
    if termes is None:
        return {"duree": "", "reconduction": "", "preavis": "", "reference": ""}
    duree = ""
    if termes.duree_annees is not None:
        duree = f"{termes.duree_annees} an{'s' if termes.duree_annees > 1 else ''}"
    preavis = f"{termes.preavis_mois} mois" if termes.preavis_mois is not None else ""
    return {
        "duree": duree,
        "reconduction": termes.reconduction.strip(),
        "preavis": preavis,
        "reference": termes.reference,
    }


def convention_contexte(convention, *, version: str = "projet") -> dict:
    """Tout ce que le gabarit imprime, lu en un nombre fixe de requêtes.

    ``version`` : « projet » (brouillon, rendu à la demande), « envoyee »
    (exemplaire conservé à l'envoi en signature), « signee » (conservé à la
    troisième signature). Les termes sont ceux de la convention, sinon (projet)
    ceux en vigueur aujourd'hui.
    """
    from conventions.models import Organisme
    from conventions.selectors import termes_en_vigueur

    grille = convention.grille
    termes = convention.termes if convention.termes_id else termes_en_vigueur()
    instantane = grille_instantane(grille)
    organismes = {o.code: o for o in Organisme.objects.all()}
    signatures = {s.partie: s for s in convention.signatures.all()}
    return {
        "convention": convention,
        "collectivite": convention.collectivite,
        "grille": grille,
        "parties": _parties(convention, organismes, signatures),
        "tableau_1": _tableau_1(instantane),
        "tableau_2": _tableau_2(instantane),
        "termes": _termes(termes),
        "version": VERSIONS[version],
        "est_projet": version == "projet",
        "a_completer": A_COMPLETER,
    }


def convention_pdf(convention, *, version: str = "projet") -> bytes:
    """La convention tripartite pré-remplie, grille annexée (PDF) ; voir
    :func:`convention_contexte` pour ``version``."""
    html = render_to_string(
        "conventions/pdf/convention.html",
        convention_contexte(convention, version=version),
    )
    return html_vers_pdf(html)
