"""axe-core (règles WCAG 2.1 A et AA) sur chaque page de l'application, dans
chromium : connexion et mots de passe, back office, portail, formulaire de
devis avec ses totaux en direct et ses erreurs, pages d'erreur.

Un seul jeu de données et une seule connexion par profil (agent, secrétaire)
servent tout le module : les données sont validées en base (le serveur de test
les lit depuis un autre fil), puis effacées en fin de module. Chaque page est
un cas paramétré : un échec nomme la page, chaque règle enfreinte, son impact
et les premiers éléments fautifs.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.template.loader import render_to_string
from django.test.utils import override_settings
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from pytest_django.live_server_helper import LiveServer

from tests.factories import stockage_prive_dans
from tests.navigateur.outils import (
    JeuDeDonnees,
    arreter_serveur,
    base_remise_en_etat,
    jeu_de_donnees,
    se_connecter,
    verifier_accessibilite,
)

pytestmark = [
    pytest.mark.navigateur,
    # Les données du module sont validées une fois pour toutes (fixture
    # ``site``), puis effacées en fin de module ; chaque test ne fait que lire.
    pytest.mark.django_db,
]

MOBILE = {"width": 375, "height": 740}


@dataclass
class Site:
    url: str
    donnees: JeuDeDonnees
    contextes: dict[str | None, object]  # profil (None : anonyme) → contexte
    lien_reinitialisation: str


@pytest.fixture(scope="module")
def site(django_db_setup, django_db_blocker, navigateur, tmp_path_factory):
    """Le serveur de test, le jeu de données et un contexte de navigateur par
    profil : anonyme, agent et secrétaire, ces deux derniers connectés par le
    vrai formulaire de connexion. Les fichiers statiques restent en cache d'un
    test à l'autre."""
    with contextlib.ExitStack() as pile:
        pile.enter_context(django_db_blocker.unblock())
        pile.enter_context(stockage_prive_dans(tmp_path_factory.mktemp("prive")))
        pile.enter_context(
            override_settings(
                PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
                AXES_ENABLED=False,
                # Serveur en HTTP : des cookies « Secure » ne seraient pas renvoyés.
                SESSION_COOKIE_SECURE=False,
                CSRF_COOKIE_SECURE=False,
            )
        )
        pile.enter_context(base_remise_en_etat())
        serveur = LiveServer("localhost")
        pile.callback(arreter_serveur, serveur)

        donnees = jeu_de_donnees()
        contextes = {}
        for profil, utilisateur in (
            (None, None),
            ("agent", donnees.agent),
            ("secretaire", donnees.secretaire),
        ):
            contexte = navigateur.new_context(base_url=serveur.url, locale="fr-FR")
            contexte.set_default_timeout(15_000)
            pile.callback(contexte.close)
            if utilisateur:
                page = contexte.new_page()
                se_connecter(page, utilisateur.email)
                page.close()
            contextes[profil] = contexte

        # Après les connexions : le jeton dépend de la date de dernière connexion.
        agent = donnees.agent
        agent.refresh_from_db()
        uid = urlsafe_base64_encode(force_bytes(agent.pk))
        jeton = default_token_generator.make_token(agent)
        lien = f"/mot-de-passe/reinitialisation/{uid}/{jeton}/"
        yield Site(serveur.url, donnees, contextes, lien)


@pytest.fixture
def ouvrir(site):
    """``ouvrir(profil, adresse)`` : un onglet neuf du profil (None : anonyme)."""
    pages = []

    def _ouvrir(profil: str | None, adresse: str | None = None, *, viewport=None):
        page = site.contextes[profil].new_page()
        pages.append(page)
        if viewport:
            page.set_viewport_size(viewport)
        if adresse:
            page.goto(adresse)
        return page

    yield _ouvrir
    for page in pages:
        page.close()


# --- Pages atteintes par leur adresse ------------------------------------------


def _page(profil, nom, adresse: Callable[[Site], str], *, statut=200):
    return pytest.param(profil, adresse, statut, id=f"{profil or 'anonyme'}-{nom}")


PAGES = [
    # Connexion et mots de passe
    _page(None, "connexion", lambda s: "/connexion/"),
    _page(
        None,
        "mot-de-passe-oublie",
        lambda s: "/mot-de-passe/reinitialisation/",
    ),
    _page(
        None,
        "reinitialisation-envoyee",
        lambda s: "/mot-de-passe/reinitialisation/envoyee/",
    ),
    _page(
        None,
        "nouveau-mot-de-passe",
        lambda s: s.lien_reinitialisation,
    ),
    _page(
        None,
        "lien-de-reinitialisation-invalide",
        lambda s: "/mot-de-passe/reinitialisation/MQ/lien-perime/",
    ),
    _page(
        None,
        "reinitialisation-terminee",
        lambda s: "/mot-de-passe/reinitialisation/terminee/",
    ),
    _page(None, "404", lambda s: "/page-inconnue/", statut=404),
    _page("agent", "changer-mot-de-passe", lambda s: "/mot-de-passe/changer/"),
    _page("agent", "mot-de-passe-change", lambda s: "/mot-de-passe/change/"),
    # Back office
    _page("agent", "tableau-de-bord", lambda s: "/gestion/"),
    _page("agent", "collectivites", lambda s: "/gestion/collectivites/"),
    _page(
        "agent",
        "collectivites-filtrees",
        lambda s: "/gestion/collectivites/?q=Ruitz",
    ),
    _page(
        "agent",
        "collectivite-avec-convention-signee",
        lambda s: f"/gestion/collectivites/{s.donnees.ruitz.pk}/",
    ),
    _page(
        "agent",
        "collectivite-en-signature",
        lambda s: f"/gestion/collectivites/{s.donnees.divion.pk}/",
    ),
    _page(
        "agent",
        "collectivite-nouvelle",
        lambda s: "/gestion/collectivites/nouvelle/",
    ),
    _page(
        "agent",
        "collectivite-modifier",
        lambda s: f"/gestion/collectivites/{s.donnees.ruitz.pk}/modifier/",
    ),
    _page("agent", "conventions", lambda s: "/gestion/conventions/"),
    _page(
        "agent",
        "convention-signee",
        lambda s: f"/gestion/conventions/{s.donnees.convention_signee.pk}/",
    ),
    _page(
        "agent",
        "convention-en-signature",
        lambda s: f"/gestion/conventions/{s.donnees.convention_en_signature.pk}/",
    ),
    _page("agent", "devis", lambda s: "/gestion/devis/"),
    _page(
        "agent",
        "devis-emis",
        lambda s: f"/gestion/devis/{s.donnees.devis_emis.pk}/",
    ),
    _page(
        "agent",
        "brouillon-sur-devis",
        lambda s: f"/gestion/devis/{s.donnees.brouillon_sur_devis.pk}/",
    ),
    _page("agent", "devis-nouveau", lambda s: "/gestion/devis/nouveau"),
    _page(
        "agent", "renouvellements", lambda s: "/gestion/abonnements/renouvellements/"
    ),
    _page(
        "agent",
        "demande-a-chiffrer-sur-devis",
        lambda s: (
            f"/gestion/devis/demandes/{s.donnees.brouillon_sur_devis.demande_id}"
            "/modifier"
        ),
    ),
    _page("agent", "abonnements", lambda s: "/gestion/abonnements/liste/"),
    _page("agent", "cles", lambda s: "/gestion/abonnements/cles/"),
    _page("agent", "etat-a-facturer", lambda s: "/gestion/facturation/etat/"),
    _page("agent", "archives", lambda s: "/gestion/archives/"),
    _page("agent", "404", lambda s: "/gestion/page-inconnue/", statut=404),
    # Pages publiques
    _page(None, "simulateur", lambda s: "/simulateur/"),
    _page(None, "tarifs", lambda s: "/tarifs/"),
    _page(None, "tarifs-2024-14", lambda s: "/tarifs/2024-14/"),
    # Portail
    _page("secretaire", "choix-collectivite", lambda s: "/portail/"),
    _page(
        "secretaire",
        "collectivite-signataire",
        lambda s: f"/portail/{s.donnees.ruitz.pk}/",
    ),
    _page(
        "secretaire",
        "collectivite-consultation",
        lambda s: f"/portail/{s.donnees.divion.pk}/",
    ),
    _page(
        "secretaire",
        "devis",
        lambda s: f"/portail/{s.donnees.ruitz.pk}/devis/{s.donnees.devis_emis.pk}/",
    ),
    _page(
        "secretaire",
        "demander-un-devis",
        lambda s: f"/portail/{s.donnees.ruitz.pk}/demander",
    ),
    _page("secretaire", "403-back-office", lambda s: "/gestion/", statut=403),
    _page(
        "secretaire",
        "404-autre-collectivite",
        lambda s: "/portail/999999/",
        statut=404,
    ),
]


@pytest.mark.parametrize(("profil", "adresse", "statut"), PAGES)
def test_the_page_has_no_wcag_violation(ouvrir, site, profil, adresse, statut):
    page = ouvrir(profil)
    reponse = page.goto(adresse(site))
    assert reponse.status == statut
    if profil:  # la session ouverte par le formulaire de connexion tient
        assert "/connexion/" not in page.url
    assert page.locator("html").get_attribute("lang") == "fr"
    assert page.title().endswith("— CDG 62")
    verifier_accessibilite(page)


@pytest.mark.parametrize(
    ("profil", "adresse"),
    [
        pytest.param("agent", lambda s: "/gestion/", id="agent-tableau-de-bord"),
        pytest.param(
            "agent", lambda s: "/gestion/collectivites/", id="agent-collectivites"
        ),
        pytest.param(
            "agent",
            lambda s: f"/gestion/collectivites/{s.donnees.ruitz.pk}/",
            id="agent-collectivite",
        ),
        pytest.param("agent", lambda s: "/gestion/devis/", id="agent-devis"),
        pytest.param(
            "agent",
            lambda s: f"/gestion/devis/{s.donnees.devis_emis.pk}/",
            id="agent-devis-emis",
        ),
        pytest.param(
            "secretaire",
            lambda s: f"/portail/{s.donnees.ruitz.pk}/",
            id="secretaire-collectivite",
        ),
        pytest.param(
            "secretaire",
            lambda s: f"/portail/{s.donnees.ruitz.pk}/devis/{s.donnees.devis_emis.pk}/",
            id="secretaire-devis",
        ),
    ],
)
def test_the_page_has_no_wcag_violation_on_a_phone(ouvrir, site, profil, adresse):
    """Sur un écran étroit, les tableaux défilent : leur cadre doit alors être
    atteignable au clavier."""
    page = ouvrir(profil, adresse(site), viewport=MOBILE)
    verifier_accessibilite(page)


# --- États produits par une saisie -------------------------------------------


def test_the_login_page_with_an_error_has_no_wcag_violation(ouvrir):
    page = ouvrir(None, "/connexion/")
    page.get_by_label("Adresse électronique").fill("inconnu@exemple.fr")
    page.get_by_label("Mot de passe").fill("mauvais")
    page.get_by_role("button", name="Se connecter").click()
    page.locator("#erreurs-connexion").wait_for()
    verifier_accessibilite(page)


@pytest.mark.axes
def test_the_lockout_page_has_no_wcag_violation(ouvrir):
    page = ouvrir(None, "/connexion/")
    titre = page.get_by_role("heading", name="Connexion temporairement bloquée")
    for _ in range(6):
        page.get_by_label("Adresse électronique").fill("intrus@exemple.fr")
        page.get_by_label("Mot de passe").fill("mauvais")
        page.get_by_role("button", name="Se connecter").click()
        page.wait_for_load_state()
        if titre.is_visible():
            break
    assert titre.is_visible()
    verifier_accessibilite(page)


def test_the_password_reset_form_with_an_error_has_no_wcag_violation(ouvrir):
    page = ouvrir(None, "/mot-de-passe/reinitialisation/")
    page.locator("input[name=email]").fill("pas-une-adresse")
    page.get_by_role("button", name="Recevoir le lien").click()
    page.locator(".invalid-feedback").first.wait_for()
    verifier_accessibilite(page)


def test_the_password_change_form_with_errors_has_no_wcag_violation(ouvrir):
    page = ouvrir("agent", "/mot-de-passe/changer/")
    page.get_by_label("Ancien mot de passe").fill("pas-le-bon")
    page.locator("form button[type=submit]").last.click()
    page.locator(".invalid-feedback").first.wait_for()
    verifier_accessibilite(page)


def test_the_collectivite_form_with_errors_has_no_wcag_violation(ouvrir):
    page = ouvrir("agent", "/gestion/collectivites/nouvelle/")
    page.get_by_label("SIREN").fill("123")
    page.locator("main form button[type=submit]").last.click()
    page.locator(".is-invalid").first.wait_for()
    verifier_accessibilite(page)


def test_the_devis_form_with_live_totals_has_no_wcag_violation(ouvrir, site):
    page = ouvrir("agent", "/gestion/devis/nouveau")
    page.get_by_label("Collectivité", exact=True).select_option(label="Ruitz (Commune)")
    page.locator("#id_quantite_messagerie-5go").fill("3")
    page.locator("#id_quantite_antivirus-mise-en-service").fill("25")
    page.locator("#id_intervention_antivirus-mise-en-service").check()
    # Le bloc du CDG et le champ de prix de la ligne « sur devis » arrivent par htmx.
    page.locator("#chiffrage [name='prix_cdg_antivirus-mise-en-service']").wait_for()
    page.locator("#chiffrage .total-annuel").first.wait_for()
    verifier_accessibilite(page)


def test_the_devis_form_with_errors_has_no_wcag_violation(ouvrir):
    page = ouvrir("agent", "/gestion/devis/nouveau")
    page.locator("#id_quantite_messagerie-5go").fill("-2")
    page.get_by_role("button", name="Créer les brouillons de devis").click()
    page.get_by_text("Le formulaire n'a pas été enregistré").wait_for()
    verifier_accessibilite(page)


def test_the_portal_request_form_with_live_totals_has_no_wcag_violation(ouvrir, site):
    page = ouvrir("secretaire", f"/portail/{site.donnees.ruitz.pk}/demander")
    page.locator("#id_quantite_messagerie-5go").fill("3")
    page.locator("#chiffrage .total-annuel").first.wait_for()
    verifier_accessibilite(page)


def test_the_portal_request_form_with_errors_has_no_wcag_violation(ouvrir, site):
    page = ouvrir("secretaire", f"/portail/{site.donnees.ruitz.pk}/demander")
    page.get_by_role("button", name="Envoyer la demande au CDG 62").click()
    page.get_by_text("La demande n'a pas été envoyée").wait_for()
    verifier_accessibilite(page)


def test_the_500_page_has_no_wcag_violation(ouvrir):
    """La page d'erreur interne est servie telle quelle par le serveur de test
    (aucune vue ne plante volontairement)."""
    page = ouvrir(None)
    contenu = render_to_string("500.html")
    page.route(
        "**/erreur-interne",
        lambda route: route.fulfill(status=500, body=contenu, content_type="text/html"),
    )
    reponse = page.goto("/erreur-interne")
    assert reponse.status == 500
    assert page.locator("h1").inner_text() == "Erreur interne"
    verifier_accessibilite(page)
