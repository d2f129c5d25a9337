"""Outils partagés des tests de navigateur : connexion par le vrai formulaire,
contrôle axe-core, jeu de données réaliste.

axe-core est injecté par ``page.evaluate`` : Playwright passe par le protocole
de débogage de chromium, que la CSP (``script-src 'self'``) ne bride pas.
"""

from __future__ import annotations

import contextlib
import datetime
import threading
import time
from dataclasses import dataclass

from comptes.models import Utilisateur
from conventions.models import Adhesion, Convention, Signature
from tarifs.calcul import LigneDemandee
from tarifs.chargement import grille_charger_fichier
from tests.conftest import FICHIER_GRILLE
from tests.factories import (
    AdhesionFactory,
    CollectiviteFactory,
    ConventionFactory,
    SignatureFactory,
    UtilisateurFactory,
    devis_emis_pour,
    organismes_emetteurs,
)

MOT_DE_PASSE = "mot-de-passe-navigateur-2024"

# Les règles WCAG 2.0 et 2.1, niveaux A et AA (RGAA 4.1).
REGLES_WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


# --- Connexion ---------------------------------------------------------------


def se_connecter(page, email: str, mot_de_passe: str = MOT_DE_PASSE) -> None:
    """Connexion par le formulaire de ``/connexion/`` (ou la page déjà ouverte
    si c'est lui), puis attente de la page suivante."""
    if "/connexion/" not in page.url:
        page.goto("/connexion/")
    page.get_by_label("Adresse électronique").fill(email)
    page.get_by_label("Mot de passe").fill(mot_de_passe)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(lambda url: "/connexion/" not in url)


# --- axe-core ----------------------------------------------------------------


def violations_axe(page) -> list[dict]:
    """Les violations WCAG 2.1 A/AA que axe-core trouve sur la page affichée."""
    from axe_playwright_python.sync_playwright import Axe

    resultats = Axe().run(
        page,
        options={
            "runOnly": {"type": "tag", "values": REGLES_WCAG},
            "resultTypes": ["violations"],
        },
    )
    return resultats.response["violations"]


def rapport_axe(violations: list[dict], *, adresse: str = "") -> str:
    """Une ligne par violation : règle, impact, aide et premières cibles."""
    lignes = [f"{len(violations)} violation(s) axe-core sur {adresse}"]
    for violation in violations:
        cibles = [
            " ".join(str(partie) for partie in noeud["target"])
            for noeud in violation["nodes"][:3]
        ]
        lignes.append(
            f"- {violation['id']} ({violation['impact']}) : {violation['help']}"
            f" — {len(violation['nodes'])} élément(s), ex. {cibles}"
        )
    return "\n".join(lignes)


def verifier_accessibilite(page) -> None:
    violations = violations_axe(page)
    assert not violations, rapport_axe(violations, adresse=page.url)


# --- Jeu de données ----------------------------------------------------------


@dataclass
class JeuDeDonnees:
    grille: object
    agent: Utilisateur
    secretaire: Utilisateur
    ruitz: object
    divion: object
    convention_signee: Convention
    convention_en_signature: Convention
    devis_emis: object
    brouillon_sur_devis: object


def grille_et_agent() -> tuple[object, Utilisateur]:
    """La grille 2024/14 publiée, les deux émetteurs et un agent du CDG."""
    grille = grille_charger_fichier(FICHIER_GRILLE).grille
    organismes_emetteurs()
    agent = UtilisateurFactory(
        email="agent@cdg62.fr", password=MOT_DE_PASSE, role=Utilisateur.Role.AGENT
    )
    return grille, agent


def commune_conventionnee(grille, nom: str = "Ruitz", population: int = 1500):
    """Une commune dont la convention est signée depuis le 2 mai 2024."""
    commune = CollectiviteFactory(nom=nom, population=population)
    ConventionFactory(
        collectivite=commune,
        grille=grille,
        statut=Convention.Statut.SIGNEE,
        date_effet=datetime.date(2024, 5, 2),
    )
    return commune


def jeu_de_donnees() -> JeuDeDonnees:
    """Un état réaliste : la grille 2024/14 publiée ; Ruitz avec une convention
    signée (trois signatures), un devis émis par La Fibre et un brouillon du
    CDG avec une ligne « sur devis » ; Divion avec une convention en cours de
    signature ; une secrétaire signataire pour Ruitz et en consultation pour
    Divion (le portail lui propose alors de choisir)."""
    grille, agent = grille_et_agent()
    ruitz = CollectiviteFactory(nom="Ruitz", population=1500, population_annee=2021)
    divion = CollectiviteFactory(nom="Divion", population=6800, population_annee=2021)
    convention_signee = ConventionFactory(
        collectivite=ruitz,
        grille=grille,
        statut=Convention.Statut.SIGNEE,
        date_effet=datetime.date(2024, 5, 2),
    )
    for partie in Signature.Partie.values:
        SignatureFactory(convention=convention_signee, partie=partie)
    convention_en_signature = ConventionFactory(
        collectivite=divion, grille=grille, statut=Convention.Statut.EN_SIGNATURE
    )
    SignatureFactory(convention=convention_en_signature)

    secretaire = UtilisateurFactory(
        email="secretaire@mairie-ruitz.fr", password=MOT_DE_PASSE
    )
    AdhesionFactory(
        utilisateur=secretaire, collectivite=ruitz, role=Adhesion.Role.SIGNATAIRE
    )
    AdhesionFactory(
        utilisateur=secretaire, collectivite=divion, role=Adhesion.Role.CONSULTATION
    )

    devis_emis, _cdg = devis_emis_pour(ruitz, par=agent)
    (brouillon_sur_devis,) = devis_emis_pour(
        ruitz,
        par=agent,
        lignes=[LigneDemandee("antivirus-mise-en-service", 25, True)],
        emettre=False,
    )
    return JeuDeDonnees(
        grille=grille,
        agent=agent,
        secretaire=secretaire,
        ruitz=ruitz,
        divion=divion,
        convention_signee=convention_signee,
        convention_en_signature=convention_en_signature,
        devis_emis=devis_emis,
        brouillon_sur_devis=brouillon_sur_devis,
    )


# --- Base partagée par tout un module ----------------------------------------


@contextlib.contextmanager
def base_remise_en_etat():
    """Les données créées dans le bloc sont validées (visibles du serveur de
    test), puis effacées à la sortie : la base revient exactement à son contenu
    d'entrée (émetteurs posés par les migrations…), comme le fait Django pour
    un ``TransactionTestCase`` à ``serialized_rollback``.

    Le contenu est sérialisé ici même plutôt que repris de la création de la
    base : une fois la boucle d'événements de Playwright lancée dans le fil des
    tests, Django y voit un contexte asynchrone et y ouvre une autre connexion,
    qui ne porte pas la sérialisation faite à la création de la base."""
    from django.core.management import call_command
    from django.db import connection

    contenu = connection.creation.serialize_db_to_string()
    try:
        yield
    finally:
        call_command(
            "flush",
            verbosity=0,
            interactive=False,
            reset_sequences=False,
            inhibit_post_migrate=True,
        )
        connection.creation.deserialize_db_from_string(contenu)


def arreter_serveur(serveur, *, delai: float = 5.0) -> None:
    """Arrête un serveur de test démarré hors de la fixture ``live_server``.

    À appeler après la fermeture des contextes du navigateur : on attend que
    les fils des requêtes (connexions persistantes) se terminent avant de
    rendre la connexion SQLite partagée à son fil, sans quoi ils échouent en
    la refermant."""
    fin = time.monotonic() + delai
    while time.monotonic() < fin and any(
        "process_request_thread" in fil.name for fil in threading.enumerate()
    ):
        time.sleep(0.02)
    serveur.stop()
