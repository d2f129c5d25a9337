"""Données de démonstration des collectivités et conventions (voir charger_demo).

Les collectivités sont de vraies communes du référentiel officiel
(``charger_referentiel`` : code INSEE, SIREN, population du millésime), celles
présentes au Conseil d'Administration du 26 mars 2024 (délibération 2024/14) :
la démonstration ne crée aucune commune, donc aucun doublon. Leur adresse est
celle, générique, de la mairie (« Mairie », code postal, commune).

Ce qui est inventé est marqué « démonstration » : les signataires, les faits
des émetteurs que la délibération ne donne pas (adresse, SIRET à clé valide,
mention TVA) — seulement s'ils sont vides, jamais à la place d'une vraie
valeur —, et les termes de la convention (durée, renouvellement, préavis).

Les conventions passent par les vrais services (envoi, signatures,
résiliation, expiration) : leurs PDF sont rendus et conservés comme en
production. Idempotent : relancer ne duplique rien et ne touche pas aux
conventions déjà présentes.
"""

from __future__ import annotations

import datetime

from comptes.models import Utilisateur
from conventions import services
from conventions.models import (
    Adhesion,
    Collectivite,
    Convention,
    Organisme,
    Signature,
    TermesConvention,
)
from conventions.selectors import termes_en_vigueur
from tarifs.models import GrilleTarifaire

MOTIF = "Données de démonstration"
MOT_DE_PASSE_MAIRIE = "demo-mairie-62"
MENTION_DEMO = "valeur de démonstration"

# (code INSEE, nom, état de la convention de démonstration)
COLLECTIVITES = [
    ("62727", "Ruitz", Convention.Statut.SIGNEE),
    ("62675", "Quercamps", Convention.Statut.SIGNEE),
    ("62051", "Auchy-les-Mines", Convention.Statut.EN_SIGNATURE),
    ("62126", "Beuvry", Convention.Statut.BROUILLON),
    ("62154", "Bonnières", Convention.Statut.RESILIEE),
    ("62188", "Burbure", Convention.Statut.EXPIREE),
    ("62857", "Villers-Châtel", None),
    ("62457", "Houdain", None),
    ("62194", "Calonne-Ricouart", None),
]
CODES = {nom: code for code, nom, _statut in COLLECTIVITES}

# Les faits des émetteurs absents de la délibération, pour la démonstration
# seulement (SIRET fictifs à clé de Luhn valide, préfixe 999).
IDENTITES_EMETTEURS = {
    "cdg": {
        "adresse": f"1 rue de la Démonstration ({MENTION_DEMO})",
        "code_postal": "62700",
        "ville": "Bruay-la-Buissière",
        "siret": "99962001600017",
        "mention_tva": f"TVA non applicable, art. 256 B du CGI ({MENTION_DEMO})",
        "signataire_nom": f"Claude Exemple ({MENTION_DEMO})",
        "signataire_qualite": "Président du CDG 62",
    },
    "fibre": {
        "adresse": f"2 rue de la Démonstration ({MENTION_DEMO})",
        "code_postal": "59000",
        "ville": "Lille",
        "siret": "99959001100014",
        "mention_tva": f"TVA non applicable, art. 256 B du CGI ({MENTION_DEMO})",
        "signataire_nom": f"Dominique Exemple ({MENTION_DEMO})",
        "signataire_qualite": "Président du Syndicat",
    },
}

TERMES_DEMO = {
    "reference": "Démonstration",
    "date_effet": datetime.date(2024, 3, 26),
    "duree_annees": 3,
    "reconduction": "reconduite tacitement par périodes d'un an, sauf "
    f"dénonciation par l'une des Parties ({MENTION_DEMO})",
    "preavis_mois": 3,
    "note": "Valeurs de démonstration : à remplacer par les termes adoptés.",
}

# Signataires fictifs, par partie.
SIGNATAIRES = {
    Signature.Partie.COLLECTIVITE: ("Camille Exemple", "Maire"),
    Signature.Partie.FIBRE: ("Dominique Exemple", "Président du Syndicat"),
    Signature.Partie.CDG: ("Claude Exemple", "Président du CDG 62"),
}

DEBUT = datetime.date(2024, 4, 15)


class ReferentielAbsent(Exception):
    """Une commune de la démonstration manque : charger_referentiel d'abord."""


def completer_emetteurs() -> list[str]:
    """Remplit les faits vides des deux émetteurs avec des valeurs marquées
    « démonstration » ; une valeur déjà saisie n'est jamais remplacée."""
    completes = []
    for code, identite in IDENTITES_EMETTEURS.items():
        organisme = Organisme.objects.filter(code=code).first()
        if organisme is None:
            continue
        vides = [c for c in identite if not getattr(organisme, c)]
        if not vides:
            continue
        for champ in vides:
            setattr(organisme, champ, identite[champ])
        organisme._change_reason = MOTIF
        organisme.save()
        completes.append(organisme.nom)
    return completes


def publier_termes_demo() -> TermesConvention:
    """Les termes de démonstration, publiés, s'il n'y en a pas en vigueur."""
    termes = termes_en_vigueur()
    if termes is None:
        termes = TermesConvention(statut=TermesConvention.Statut.PUBLIEE, **TERMES_DEMO)
        termes._change_reason = MOTIF
        termes.save()
    return termes


def commune_demo(nom: str) -> Collectivite:
    """La commune du référentiel, avec l'adresse générique de sa mairie."""
    commune = Collectivite.objects.filter(
        type=Collectivite.Type.COMMUNE, code_insee=CODES[nom]
    ).first()
    if commune is None:
        raise ReferentielAbsent(
            f"{nom} ({CODES[nom]}) est absente : lancer charger_referentiel."
        )
    if not commune.adresse:
        donnees = {"adresse": "Mairie"}
        if not commune.code_postal and commune.codes_postaux:
            donnees["code_postal"] = commune.codes_postaux[0]
        if not commune.ville:
            donnees["ville"] = commune.nom
        services.collectivite_modifier(collectivite=commune, donnees=donnees, par=None)
        commune.refresh_from_db()
    return commune


def _signer(convention: Convention, parties, agent) -> Convention:
    for decalage, partie in enumerate(parties):
        nom, qualite = SIGNATAIRES[partie]
        convention = services.convention_signer(
            convention=convention,
            partie=partie,
            signataire_nom=nom,
            signataire_qualite=qualite,
            date=DEBUT + datetime.timedelta(days=decalage),
            par=agent,
        )
    return convention


def _convention(collectivite: Collectivite, statut: str, agent) -> None:
    """Une convention dans l'état voulu, par les services, seulement si la
    collectivité n'en a pas."""
    if collectivite.conventions.exists():
        return
    convention = services.convention_creer(collectivite=collectivite, par=agent)
    toutes = list(Signature.Partie)
    if statut == Convention.Statut.BROUILLON:
        return
    if statut == Convention.Statut.EN_SIGNATURE:
        _signer(
            convention, [Signature.Partie.COLLECTIVITE, Signature.Partie.CDG], agent
        )
        return
    convention = _signer(convention, toutes, agent)
    if statut == Convention.Statut.RESILIEE:
        services.convention_resilier(
            convention=convention,
            date=datetime.date(2025, 1, 31),
            motif="Résiliation à la demande de la commune (motif de démonstration).",
            par=agent,
        )
    elif statut == Convention.Statut.EXPIREE:
        services.convention_expirer(
            convention=convention, date=datetime.date(2025, 4, 16), par=agent
        )


def _compte_mairie(email: str, prenom: str, nom: str) -> Utilisateur:
    compte, _ = Utilisateur.objects.get_or_create(email=email)
    compte.role = Utilisateur.Role.PORTAIL
    compte.first_name, compte.last_name = prenom, nom
    compte.is_staff = compte.is_superuser = False
    compte.is_active = True
    compte.set_password(MOT_DE_PASSE_MAIRIE)
    compte.save()
    return compte


def _rattacher(compte: Utilisateur, collectivite: Collectivite, role: str) -> None:
    Adhesion.objects.update_or_create(
        utilisateur=compte, collectivite=collectivite, defaults={"role": role}
    )


def charger(stdout) -> list[tuple[str, str, str]]:
    """Crée les collectivités, conventions et comptes de mairie de démonstration.

    Renvoie les comptes à afficher : (adresse, mot de passe, description).
    La grille 2024/14 doit être chargée (``charger_grille``).
    """
    grille = (
        GrilleTarifaire.objects.filter(
            reference="2024/14", statut=GrilleTarifaire.Statut.PUBLIEE
        )
        .order_by("-date_effet")
        .first()
    )
    if grille is None:
        raise GrilleTarifaire.DoesNotExist(
            "La grille 2024/14 publiée est introuvable : lancer charger_grille."
        )
    agent = Utilisateur.objects.filter(email="agent@demo.cdg62.fr").first()
    completer_emetteurs()
    publier_termes_demo()

    collectivites = {}
    for _code, nom, statut in COLLECTIVITES:
        collectivite = commune_demo(nom)
        collectivites[nom] = collectivite
        if statut is not None:
            _convention(collectivite, statut, agent)

    secretaire = _compte_mairie("secretaire@demo.mairie.fr", "Sophie", "Secrétaire")
    consultation = _compte_mairie("consultation@demo.mairie.fr", "Paul", "Lecteur")
    for nom in ("Ruitz", "Quercamps"):
        _rattacher(secretaire, collectivites[nom], Adhesion.Role.SIGNATAIRE)
    _rattacher(consultation, collectivites["Ruitz"], Adhesion.Role.CONSULTATION)

    stdout.write(
        f"{len(COLLECTIVITES)} communes du référentiel officiel et leurs conventions "
        "de démonstration (émetteurs et termes complétés par des valeurs de "
        "démonstration)."
    )
    return [
        (
            secretaire.email,
            MOT_DE_PASSE_MAIRIE,
            "secrétaire de mairie, signataire pour Ruitz et Quercamps",
        ),
        (
            consultation.email,
            MOT_DE_PASSE_MAIRIE,
            "consultation seule pour Ruitz",
        ),
    ]
