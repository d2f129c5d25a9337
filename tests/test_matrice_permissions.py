"""Matrice des permissions : chaque motif d'URL du projet, pour chaque acteur.

Les motifs viennent du résolveur d'URL : une URL ajoutée sans entrée attendue
ici fait échouer ``test_every_url_pattern_has_an_expected_entry``.

Acteurs : anonyme, membre *consultation* de A, *signataire* de A (et de C),
*signataire* de B (étranger à A), agent du CDG, administrateur. Chaque URL est
appelée en GET et, pour les actions, en POST (sans données : seuls les refus
d'accès sont vérifiés en POST, les agents y sont exclus pour ne rien modifier).
"""

from __future__ import annotations

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, URLResolver, get_resolver

from abonnements.models import Abonnement, CleSignature, Renouvellement
from comptes.models import Utilisateur
from conventions import services as services_conventions
from conventions.models import Adhesion, Convention
from tests.factories import (
    CollectiviteFactory,
    devis_emis_pour,
    pdf_octets,
)

ACTEURS = [
    "anonyme",
    "consultation_A",
    "signataire_A",
    "signataire_B",
    "agent",
    "admin",
]


def motifs(resolveur=None, prefixe="", espace=None):
    """(nom complet, motif) de toutes les URL du projet, admin comprise."""
    resolveur = resolveur or get_resolver()
    for motif in resolveur.url_patterns:
        if isinstance(motif, URLResolver):
            sous_espace = espace
            if motif.namespace:
                sous_espace = (
                    f"{espace}:{motif.namespace}" if espace else motif.namespace
                )
            yield from motifs(motif, prefixe + str(motif.pattern), sous_espace)
        elif isinstance(motif, URLPattern):
            nom = f"{espace}:{motif.name}" if espace else (motif.name or "")
            yield nom, prefixe + str(motif.pattern), motif


def statuts(anonyme, consultation, signataire_a, signataire_b, agent, admin):
    return dict(
        zip(
            ACTEURS,
            (anonyme, consultation, signataire_a, signataire_b, agent, admin),
            strict=True,
        )
    )


CONNEXION = 302  # anonyme → /connexion/?next=…
GESTION_PAGE = statuts(CONNEXION, 403, 403, 403, 200, 200)
GESTION_ACTION = statuts(CONNEXION, 403, 403, 403, 405, 405)  # GET sur un POST
PORTAIL_PAGE_A = statuts(CONNEXION, 200, 200, 404, 302, 302)
PORTAIL_ACTION_A = statuts(CONNEXION, 405, 405, 405, 302, 302)
POUR_TOUS = statuts(200, 200, 200, 200, 200, 200)
CONNECTE = statuts(CONNEXION, 200, 200, 200, 200, 200)

# nom d'URL → (kwargs, statuts attendus en GET, statuts attendus en POST ou None)
ATTENDU = {
    "accueil": ({}, statuts(CONNEXION, 302, 302, 302, 302, 302), None),
    "sante": ({}, POUR_TOUS, None),
    "connexion": ({}, statuts(200, 302, 302, 302, 302, 302), None),
    "deconnexion": ({}, statuts(405, 405, 405, 405, 405, 405), None),
    "mot_de_passe_changer": ({}, CONNECTE, None),
    "mot_de_passe_change": ({}, CONNECTE, None),
    "mot_de_passe_reinitialiser": ({}, POUR_TOUS, None),
    "mot_de_passe_reinitialisation_envoyee": ({}, POUR_TOUS, None),
    "mot_de_passe_reinitialisation_confirmer": (
        {"uidb64": "MQ", "token": "jeton-invalide"},
        POUR_TOUS,
        None,
    ),
    "mot_de_passe_reinitialise": ({}, POUR_TOUS, None),
    "api_chiffrage": ({}, statuts(405, 405, 405, 405, 405, 405), None),
    # Back office : devis
    "devis:liste": ({}, GESTION_PAGE, None),
    "devis:nouveau": ({}, GESTION_PAGE, None),
    "devis:chiffrage": (
        {},
        GESTION_ACTION,
        statuts(CONNEXION, 403, 403, 403, None, None),
    ),
    "devis:demande_modifier": ({"pk": "demande_brouillon"}, GESTION_PAGE, None),
    "devis:detail": ({"pk": "devis_A"}, GESTION_PAGE, None),
    "devis:pdf": ({"pk": "devis_A"}, GESTION_PAGE, None),
    "devis:apercu": ({"pk": "brouillon_A"}, GESTION_PAGE, None),
    # --- Exports des listes et état des sommes à facturer ---
    "abonnements:abonnements_liste": ({}, GESTION_PAGE, None),
    "abonnements:cles_liste": ({}, GESTION_PAGE, None),
    "facturation:etat": ({}, GESTION_PAGE, None),
    # --- Archives (export ZIP) ---
    # Le monde n'a pas d'export : un numéro inconnu, refusé avant d'être cherché.
    "archives:exports": ({}, GESTION_PAGE, None),
    "archives:export_lancer": (
        {},
        GESTION_ACTION,
        statuts(CONNEXION, 403, 403, 403, None, None),
    ),
    "archives:export": (
        {"pk": 999999},
        statuts(CONNEXION, 403, 403, 403, 404, 404),
        None,
    ),
    "archives:export_progression": (
        {"pk": 999999},
        statuts(CONNEXION, 403, 403, 403, 404, 404),
        None,
    ),
    "archives:export_telecharger": (
        {"pk": 999999},
        statuts(CONNEXION, 403, 403, 403, 404, 404),
        None,
    ),
    # --- Tableau de bord : chiffres et graphiques (CSV de chaque figure) ---
    "gestion:tableau_de_bord_csv": (
        {"graphique": "montants-acceptes"},
        GESTION_PAGE,
        None,
    ),
    # --- Factures Factur-X ---
    # Le devis A est émis, pas accepté : il n'a pas de facture (404 une fois
    # l'accès passé ; la facture existante a ses tests, tests/facturation).
    "facturation:facture_emettre": (
        {"pk": "devis_A"},
        GESTION_ACTION,
        statuts(CONNEXION, 403, 403, 403, None, None),
    ),
    "facturation:facture_pdf": (
        {"pk": "devis_A"},
        statuts(CONNEXION, 403, 403, 403, 404, 404),
        None,
    ),
    "portail:facture_pdf": (
        {"cid": "A", "pk": "devis_A"},
        statuts(CONNEXION, 404, 404, 404, 302, 302),
        None,
    ),
    # --- Pages publiques (simulateur, grille) et comparaison des grilles ---
    "public:simulateur": ({}, POUR_TOUS, None),
    "public:simulateur_chiffrage": ({}, POUR_TOUS, None),
    "public:simulateur_communes": ({}, POUR_TOUS, None),
    "public:grille_en_vigueur": ({}, POUR_TOUS, None),
    "public:grille": ({"reference": "2024-14"}, POUR_TOUS, None),
    # Le monde n'a pas de brouillon de grille : un numéro inconnu, refusé avant
    # d'être cherché (la page elle-même : tests/abonnements/test_comparaison.py).
    "abonnements:comparaison": (
        {"grille_pk": 999999},
        statuts(CONNEXION, 403, 403, 403, 404, 404),
        None,
    ),
}
for _action in (
    "supprimer",
    "emettre",
    "annuler",
    "accepter",
    "refuser",
    "dupliquer",
    "envoyer",
    "reviser",
):
    ATTENDU[f"devis:{_action}"] = (
        {"pk": "devis_A"},
        GESTION_ACTION,
        statuts(CONNEXION, 403, 403, 403, None, None),
    )
ATTENDU.update(
    {
        # Back office : collectivités et conventions
        "gestion:tableau_de_bord": ({}, GESTION_PAGE, None),
        "gestion:collectivites": ({}, GESTION_PAGE, None),
        "gestion:collectivite_creer": ({}, GESTION_PAGE, None),
        "gestion:collectivite": ({"pk": "A"}, GESTION_PAGE, None),
        "gestion:collectivite_modifier": ({"pk": "A"}, GESTION_PAGE, None),
        "gestion:conventions": ({}, GESTION_PAGE, None),
        "gestion:convention": ({"pk": "convention_A"}, GESTION_PAGE, None),
        "gestion:convention_scan": ({"pk": "convention_A"}, GESTION_PAGE, None),
        "gestion:convention_pdf": ({"pk": "convention_A"}, GESTION_PAGE, None),
    }
)
for _nom, _objet in [
    ("collectivite_categorie", "A"),
    ("convention_creer", "A"),
    ("convention_envoyer", "convention_A"),
    ("convention_signer", "convention_A"),
    ("convention_deposer_scan", "convention_A"),
    ("convention_resilier", "convention_A"),
    ("convention_expirer", "convention_A"),
    ("convention_supprimer", "convention_A"),
]:
    ATTENDU[f"gestion:{_nom}"] = (
        {"pk": _objet},
        GESTION_ACTION,
        statuts(CONNEXION, 403, 403, 403, None, None),
    )
ATTENDU.update(
    {
        # Back office : abonnements et renouvellement annuel
        "abonnements:renouvellements": ({}, GESTION_PAGE, None),
        "abonnements:renouvellement": ({"pk": "renouvellement"}, GESTION_PAGE, None),
        "abonnements:renouvellement_progression": (
            {"pk": "renouvellement"},
            GESTION_PAGE,
            None,
        ),
        "abonnements:renouvellement_lancer": (
            {},
            GESTION_ACTION,
            statuts(CONNEXION, 403, 403, 403, None, None),
        ),
    }
)
for _nom, _objet in (
    ("cle_remettre", "cle_A"),
    ("cle_preparer_renouvellement", "cle_A"),
    ("nouveau_signataire", "A"),
):
    ATTENDU[f"abonnements:{_nom}"] = (
        {"pk": _objet},
        GESTION_ACTION,
        statuts(CONNEXION, 403, 403, 403, None, None),
    )
ATTENDU["abonnements:renouvellement_reprendre"] = (
    {"pk": "renouvellement"},
    GESTION_ACTION,
    statuts(CONNEXION, 403, 403, 403, None, None),
)
for _nom in ("abonnement_debut", "abonnement_resilier"):
    ATTENDU[f"abonnements:{_nom}"] = (
        {"pk": "abonnement_A"},
        GESTION_ACTION,
        statuts(CONNEXION, 403, 403, 403, None, None),
    )
ATTENDU.update(
    {
        # Portail : A est la collectivité de consultation_A et signataire_A ; B celle
        # de signataire_B, qui ne doit rien voir de A (404).
        "portail:accueil": ({}, statuts(CONNEXION, 302, 200, 302, 302, 302), None),
        "portail:collectivite": ({"cid": "A"}, PORTAIL_PAGE_A, None),
        "portail:convention_pdf": (
            {"cid": "A", "pk": "convention_A"},
            PORTAIL_PAGE_A,
            None,
        ),
        "portail:convention_scan": (
            {"cid": "A", "pk": "convention_A"},
            PORTAIL_PAGE_A,
            None,
        ),
        "portail:devis": ({"cid": "A", "pk": "devis_A"}, PORTAIL_PAGE_A, None),
        "portail:devis_pdf": ({"cid": "A", "pk": "devis_A"}, PORTAIL_PAGE_A, None),
        "portail:devis_accepter": (
            {"cid": "A", "pk": "devis_A"},
            PORTAIL_ACTION_A,
            statuts(CONNEXION, 403, None, 404, 302, 302),
        ),
        "portail:devis_refuser": (
            {"cid": "A", "pk": "devis_A"},
            PORTAIL_ACTION_A,
            statuts(CONNEXION, 403, None, 404, 302, 302),
        ),
        "portail:demande_accepter": (
            {"cid": "A", "pk": "demande_A"},
            PORTAIL_ACTION_A,
            statuts(CONNEXION, 403, None, 404, 302, 302),
        ),
        "portail:demander": ({"cid": "A"}, PORTAIL_PAGE_A, None),
        "portail:chiffrage": (
            {"cid": "A"},
            PORTAIL_ACTION_A,
            statuts(CONNEXION, 200, 200, 404, 302, 302),
        ),
    }
)

# L'administration Django : tout non-membre du personnel est renvoyé vers la
# page de connexion de l'administration ; l'administrateur ouvre les pages
# sans paramètre (les pages d'objets ont leurs propres tests).
ADMIN = statuts(302, 302, 302, 302, 302, 200)


def projet_motifs():
    return [(nom, motif) for nom, motif, _ in motifs() if not nom.startswith("admin:")]


def test_every_url_pattern_has_an_expected_entry():
    sans_entree = [
        f"{nom} ({motif})" for nom, motif in projet_motifs() if nom not in ATTENDU
    ]
    assert not sans_entree, "URL sans entrée dans la matrice : " + ", ".join(
        sans_entree
    )
    obsoletes = set(ATTENDU) - {nom for nom, _ in projet_motifs()}
    assert not obsoletes, f"Entrées de la matrice sans URL : {sorted(obsoletes)}"


@pytest.fixture
def monde(db, grille_2024_14, monkeypatch):
    """Deux collectivités et leurs gens ; A a une convention signée (avec scan),
    un devis émis et un brouillon. (Le rendu WeasyPrint est remplacé par un PDF
    minimal : la matrice teste l'accès, pas le document.)"""
    monkeypatch.setattr(
        "devis.pdf.devis_rendre_pdf", lambda devis, **options: pdf_octets()
    )
    agent = Utilisateur.objects.create_user(
        "alice@cdg62.fr", "x", role=Utilisateur.Role.AGENT
    )
    admin = Utilisateur.objects.create_superuser("root@cdg62.fr", "x")
    a, b, c = (CollectiviteFactory(nom=nom) for nom in ("Ruitz", "Beuvry", "Quercamps"))
    gens = {
        "consultation_A": Utilisateur.objects.create_user("claire@mairie.fr", "x"),
        "signataire_A": Utilisateur.objects.create_user("sophie@mairie.fr", "x"),
        "signataire_B": Utilisateur.objects.create_user("bob@mairie.fr", "x"),
    }
    Adhesion.objects.create(
        utilisateur=gens["consultation_A"], collectivite=a, role="consultation"
    )
    for collectivite in (a, c):
        Adhesion.objects.create(
            utilisateur=gens["signataire_A"],
            collectivite=collectivite,
            role="signataire",
        )
    Adhesion.objects.create(
        utilisateur=gens["signataire_B"], collectivite=b, role="signataire"
    )
    convention = services_conventions.convention_creer(collectivite=a, par=agent)
    for partie in ("collectivite", "fibre", "cdg"):
        convention = services_conventions.convention_signer(
            convention=convention,
            partie=partie,
            signataire_nom="Nom",
            signataire_qualite="Qualité",
            date=grille_2024_14.date_effet,
            par=agent,
        )
    services_conventions.convention_deposer_scan(
        convention=convention,
        fichier=SimpleUploadedFile("scan.pdf", pdf_octets(), "application/pdf"),
        par=agent,
    )
    devis_a = devis_emis_pour(a, par=agent)[0]
    brouillon = devis_emis_pour(a, par=agent, emettre=False)[0]
    ligne = devis_a.lignes.first()
    abonnement = Abonnement.objects.create(
        collectivite=a,
        emetteur=devis_a.emetteur,
        code=ligne.code,
        libelle=ligne.libelle,
        quantite=ligne.quantite,
        debut=grille_2024_14.date_effet,
        devis=devis_a,
        ligne=ligne,
        grille=grille_2024_14,
    )
    cle = CleSignature.objects.create(
        collectivite=a,
        devis=devis_a,
        ligne=ligne,
        code="cle-1an-cdg",
        mode_remise="cdg",
        validite_annees=1,
    )
    renouvellement = Renouvellement.objects.create(
        annee=2027, date_renouvellement=datetime.date(2027, 1, 1), lance_par=agent
    )
    objets = {
        "A": a.pk,
        "abonnement_A": abonnement.pk,
        "cle_A": cle.pk,
        "renouvellement": renouvellement.pk,
        "convention_A": Convention.objects.get(collectivite=a).pk,
        "devis_A": devis_a.pk,
        "demande_A": devis_a.demande_id,
        "brouillon_A": brouillon.pk,
        "demande_brouillon": brouillon.demande_id,
    }
    return {"objets": objets, "gens": {**gens, "agent": agent, "admin": admin}}


def _client(client, monde, acteur):
    if acteur != "anonyme":
        client.force_login(monde["gens"][acteur])
    return client


def _url(motif, kwargs, objets):
    url = "/" + motif
    for cle, objet in kwargs.items():
        valeur = objets.get(objet, objet)
        url = url.replace(f"<int:{cle}>", str(valeur)).replace(f"<{cle}>", str(valeur))
    return url


NOMS = sorted(nom for nom, _ in projet_motifs() if nom in ATTENDU)
MOTIF = {nom: motif for nom, motif in projet_motifs()}


@pytest.mark.parametrize("nom", NOMS)
def test_each_url_answers_each_actor_as_expected(client, monde, nom):
    kwargs, attendu_get, attendu_post = ATTENDU[nom]
    url = _url(MOTIF[nom], kwargs, monde["objets"])
    ecarts = []
    for acteur in ACTEURS:
        client.logout()
        _client(client, monde, acteur)
        reponse = client.get(url)
        if reponse.status_code != attendu_get[acteur]:
            ecarts.append(
                f"GET {acteur} : {reponse.status_code} ≠ {attendu_get[acteur]}"
            )
        elif acteur == "anonyme" and reponse.status_code == 302:
            if not reponse["Location"].startswith("/connexion/"):
                ecarts.append(f"GET anonyme redirigé vers {reponse['Location']}")
        if attendu_post and attendu_post[acteur] is not None:
            reponse = client.post(url, {})
            if reponse.status_code != attendu_post[acteur]:
                ecarts.append(
                    f"POST {acteur} : {reponse.status_code} ≠ {attendu_post[acteur]}"
                )
    assert not ecarts, f"{url} : " + " ; ".join(ecarts)


ADMIN_SANS_PARAMETRE = sorted(
    nom
    for nom, motif, _ in motifs()
    if nom.startswith("admin:")
    and "<" not in motif
    and "(" not in motif  # motifs regex avec groupes (historique) : paramétrés
    # autocomplete exige ses paramètres ; login/logout/jsi18n sont publiques.
    and nom not in ("admin:logout", "admin:login", "admin:jsi18n", "admin:autocomplete")
)
MOTIF_ADMIN = {nom: motif for nom, motif, _ in motifs() if nom.startswith("admin:")}
# Pas d'ajout à la main : les devis, les conventions (et leurs signatures) et
# les abonnements naissent des services ; les résultats de tâches du worker,
# les journaux d'axes et les compteurs de numéros sont tenus par l'application.
AJOUT_INTERDIT = {
    f"admin:{modele}_add"
    for modele in (
        "abonnements_abonnement",
        "abonnements_clesignature",
        "abonnements_demanderenouvellee",
        "abonnements_elementlivre",
        "abonnements_relance",
        "abonnements_renouvellement",
        "archives_exportarchive",
        "django_tasks_database_dbtaskresult",
        "axes_accessattempt",
        "axes_accessfailurelog",
        "axes_accesslog",
        "conventions_convention",
        "conventions_signature",
        "devis_compteurdevis",
        "devis_demandedevis",
        "devis_devis",
        "devis_envoidevis",
        "devis_evenementdevis",
        "facturation_compteurfacture",
        "facturation_facture",
    )
}


@pytest.mark.parametrize("nom", ADMIN_SANS_PARAMETRE)
def test_the_admin_is_for_admins_only(client, monde, nom):
    attendu = {**ADMIN, "admin": 403 if nom in AJOUT_INTERDIT else 200}
    ecarts = []
    for acteur in ACTEURS:
        client.logout()
        reponse = _client(client, monde, acteur).get("/" + MOTIF_ADMIN[nom])
        if reponse.status_code != attendu[acteur]:
            ecarts.append(f"{acteur} : {reponse.status_code} ≠ {attendu[acteur]}")
        elif ADMIN[acteur] == 302 and not reponse["Location"].startswith(
            "/admin/login/"
        ):
            ecarts.append(f"{acteur} redirigé vers {reponse['Location']}")
    assert not ecarts, f"{nom} : " + " ; ".join(ecarts)


def test_admin_pages_with_parameters_refuse_non_staff(client, monde):
    """Les pages d'objets de l'administration (avec paramètres) renvoient tout
    non-membre du personnel vers la connexion de l'administration."""
    for acteur in ("consultation_A", "signataire_A", "agent"):
        client.force_login(monde["gens"][acteur])
        for nom, motif, _ in motifs():
            if nom.startswith("admin:") and "<" in motif:
                url = "/" + motif
                for cle in ("app_label", "object_id", "content_type_id"):
                    url = (
                        url.replace(
                            f"<{cle}>", "conventions" if cle == "app_label" else "1"
                        )
                        .replace(f"<path:{cle}>", "1")
                        .replace(f"<int:{cle}>", "1")
                    )
                reponse = client.get(url)
                assert reponse.status_code in (302, 404), f"{nom} ({acteur})"
                if reponse.status_code == 302:
                    assert "/admin/login/" in reponse["Location"]
