"""Tests de bout en bout dans chromium (Playwright pour Python).

Le navigateur est le chromium de Debian (``/usr/bin/chromium``) : Playwright
ne télécharge rien (jamais de ``playwright install``). Là où chromium manque,
les tests sont sautés avec la commande qui l'installe — sauf en intégration
continue (``CI``), où son absence est une erreur : un test sauté n'y prouve rien.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# L'API synchrone de Playwright fait tourner une boucle d'événements dans le
# fil des tests : sans ceci, Django refuserait les requêtes ORM des tests
# (« You cannot call this from an async context »).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = Path("/usr/bin/chromium")
RAISON_ABSENT = "chromium (paquet Debian) absent : sudo apt-get install chromium"
ARGUMENTS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _en_integration_continue() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


@pytest.fixture(scope="session")
def navigateur():
    """Un chromium sans tête pour toute la session de tests."""
    if not CHROMIUM.exists():
        if _en_integration_continue():
            pytest.fail(RAISON_ABSENT)
        pytest.skip(RAISON_ABSENT)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=ARGUMENTS
        )
        yield chromium
        chromium.close()


@pytest.fixture
def serveur(live_server, settings):
    """Le serveur de test, en HTTP : les cookies « Secure » n'y seraient pas
    renvoyés par le navigateur."""
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    return live_server


@pytest.fixture
def onglet(navigateur, serveur):
    """Un onglet neuf (cookies vides) pointé sur le serveur de test."""
    contexte = navigateur.new_context(
        base_url=serveur.url, accept_downloads=True, locale="fr-FR"
    )
    contexte.set_default_timeout(15_000)
    page = contexte.new_page()
    yield page
    contexte.close()
