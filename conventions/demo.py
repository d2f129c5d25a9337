"""Données de démonstration des collectivités et conventions (voir charger_demo).

Les collectivités sont des communes présentes au Conseil d'Administration du
26 mars 2024 (délibération 2024/14) ; leurs populations sont des valeurs de
démonstration (ordres de grandeur, non officielles) et aucun SIREN n'est
inventé. Les signataires sont fictifs. Idempotent : relancer ne duplique rien
et ne touche pas aux conventions déjà présentes.
"""

from __future__ import annotations

import datetime

from comptes.models import Utilisateur
from conventions.models import Adhesion, Collectivite, Convention, Signature
from tarifs.models import GrilleTarifaire

MOTIF = "Données de démonstration"
MOT_DE_PASSE_MAIRIE = "demo-mairie-62"
ANNEE_POPULATION = 2021

# (nom, population de démonstration, état de la convention de démonstration)
COLLECTIVITES = [
    ("Ruitz", 1_500, Convention.Statut.SIGNEE),
    ("Quercamps", 400, Convention.Statut.SIGNEE),
    ("Auchy-les-Mines", 4_600, Convention.Statut.EN_SIGNATURE),
    ("Beuvry", 9_500, Convention.Statut.BROUILLON),
    ("Bonnières", 700, Convention.Statut.RESILIEE),
    ("Burbure", 3_000, Convention.Statut.EXPIREE),
    ("Villers-Châtel", 150, None),
    ("Houdain", 7_500, None),
    ("Calonne-Ricouart", 5_600, None),
]

# Signataires fictifs, par partie.
SIGNATAIRES = {
    Signature.Partie.COLLECTIVITE: ("Camille Exemple", "Maire"),
    Signature.Partie.FIBRE: ("Dominique Exemple", "Président du Syndicat"),
    Signature.Partie.CDG: ("Claude Exemple", "Président du CDG 62"),
}

DEBUT = datetime.date(2024, 4, 15)


def _signer(convention: Convention, parties, jour: datetime.date) -> None:
    for decalage, partie in enumerate(parties):
        nom, qualite = SIGNATAIRES[partie]
        Signature.objects.get_or_create(
            convention=convention,
            partie=partie,
            defaults={
                "signataire_nom": nom,
                "signataire_qualite": qualite,
                "date": jour + datetime.timedelta(days=decalage),
            },
        )


def _convention(
    collectivite: Collectivite,
    statut: str,
    grille: GrilleTarifaire,
    agent: Utilisateur | None,
) -> None:
    """Une convention dans l'état voulu, seulement si la collectivité n'en a pas."""
    if collectivite.conventions.exists():
        return
    toutes = list(Signature.Partie)
    champs: dict = {}
    signees: list = toutes
    if statut == Convention.Statut.SIGNEE:
        champs = {"date_effet": DEBUT + datetime.timedelta(days=2)}
    elif statut == Convention.Statut.EN_SIGNATURE:
        signees = [Signature.Partie.COLLECTIVITE, Signature.Partie.CDG]
    elif statut == Convention.Statut.BROUILLON:
        signees = []
    elif statut == Convention.Statut.RESILIEE:
        champs = {
            "date_effet": DEBUT + datetime.timedelta(days=2),
            "resiliation_date": datetime.date(2025, 1, 31),
            "resiliation_motif": "Résiliation à la demande de la commune "
            "(motif de démonstration).",
        }
    elif statut == Convention.Statut.EXPIREE:
        champs = {
            "date_effet": DEBUT + datetime.timedelta(days=2),
            "date_fin": datetime.date(2025, 4, 16),
        }
    convention = Convention(
        collectivite=collectivite,
        statut=statut,
        grille=grille,
        creee_par=agent,
        **champs,
    )
    convention._change_reason = MOTIF
    convention.save()
    _signer(convention, signees, DEBUT)


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

    collectivites = {}
    for nom, population, statut in COLLECTIVITES:
        collectivite = Collectivite.objects.filter(
            nom=nom, type=Collectivite.Type.COMMUNE
        ).first()
        if collectivite is None:
            collectivite = Collectivite(
                nom=nom,
                type=Collectivite.Type.COMMUNE,
                ville=nom,
                adresse="Mairie",
                population=population,
                population_annee=ANNEE_POPULATION,
            )
            collectivite._change_reason = MOTIF
            collectivite.save()
        collectivites[nom] = collectivite
        if statut is not None:
            _convention(collectivite, statut, grille, agent)

    secretaire = _compte_mairie("secretaire@demo.mairie.fr", "Sophie", "Secrétaire")
    consultation = _compte_mairie("consultation@demo.mairie.fr", "Paul", "Lecteur")
    for nom in ("Ruitz", "Quercamps"):
        _rattacher(secretaire, collectivites[nom], Adhesion.Role.SIGNATAIRE)
    _rattacher(consultation, collectivites["Ruitz"], Adhesion.Role.CONSULTATION)

    stdout.write(
        f"{len(COLLECTIVITES)} collectivités de démonstration "
        "(populations : valeurs de démonstration, non officielles) et leurs "
        "conventions."
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
