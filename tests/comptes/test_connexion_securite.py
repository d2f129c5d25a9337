"""Protection de la connexion et en-têtes de sécurité."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt

MAUVAIS = {"username": "alice@cdg62.fr", "password": "pas-le-bon"}
BON = {"username": "alice@cdg62.fr", "password": "mot-de-passe-alice"}


@pytest.mark.axes
def test_five_failures_lock_the_account_from_that_address(client, alice_agent):
    for _ in range(5):
        client.post("/connexion/", MAUVAIS, REMOTE_ADDR="10.0.0.1")
    reponse = client.post("/connexion/", BON, REMOTE_ADDR="10.0.0.1")
    assert reponse.status_code == 429
    assert "temporairement bloquée" in reponse.text
    assert "_auth_user_id" not in client.session


@pytest.mark.axes
def test_the_lockout_is_per_username_and_address(client, alice_agent):
    for _ in range(5):
        client.post("/connexion/", MAUVAIS, REMOTE_ADDR="10.0.0.1")
    reponse = client.post("/connexion/", BON, REMOTE_ADDR="10.0.0.2")
    assert reponse.status_code == 302


@pytest.mark.axes
def test_four_failures_do_not_lock(client, alice_agent):
    for _ in range(4):
        client.post("/connexion/", MAUVAIS, REMOTE_ADDR="10.0.0.1")
    assert client.post("/connexion/", BON, REMOTE_ADDR="10.0.0.1").status_code == 302


def test_security_headers_are_sent(client, db):
    reponse = client.get("/connexion/")
    assert reponse["X-Frame-Options"] == "DENY"
    assert reponse["X-Content-Type-Options"] == "nosniff"
    assert reponse["Referrer-Policy"] == "same-origin"
    assert "max-age=" in reponse["Strict-Transport-Security"]
    csp = reponse["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "style-src 'self'" in csp
    assert "unsafe-inline" not in csp and "http" not in csp


def test_session_cookies_are_secure_outside_debug(settings):
    assert settings.SESSION_COOKIE_SECURE and settings.CSRF_COOKIE_SECURE
    assert settings.SESSION_COOKIE_HTTPONLY
    assert settings.SESSION_COOKIE_AGE <= 8 * 3600


# --- Derrière le mandataire TLS : l'adresse du client réel ---------------------

MANDATAIRE = "127.0.0.1"


@pytest.fixture
def derriere_le_mandataire(settings):
    settings.BEHIND_TLS_PROXY = True
    settings.FORWARDED_ALLOW_IPS = [MANDATAIRE]


@pytest.mark.axes
def test_behind_the_proxy_an_attacker_locks_only_their_own_address(
    client, alice_agent, derriere_le_mandataire
):
    for _ in range(5):
        client.post(
            "/connexion/",
            MAUVAIS,
            REMOTE_ADDR=MANDATAIRE,
            HTTP_X_FORWARDED_FOR="203.0.113.66",
        )

    bloque = client.post(
        "/connexion/", BON, REMOTE_ADDR=MANDATAIRE, HTTP_X_FORWARDED_FOR="203.0.113.66"
    )
    assert bloque.status_code == 429
    assert "_auth_user_id" not in client.session
    reponse = client.post(
        "/connexion/", BON, REMOTE_ADDR=MANDATAIRE, HTTP_X_FORWARDED_FOR="198.51.100.7"
    )
    assert reponse.status_code == 302
    assert client.session["_auth_user_id"] == str(alice_agent.pk)
    assert list(AccessAttempt.objects.values_list("ip_address", "username")) == [
        ("203.0.113.66", "alice@cdg62.fr")
    ]


@pytest.mark.axes
def test_behind_the_proxy_only_the_address_the_proxy_appended_is_believed(
    client, alice_agent, derriere_le_mandataire
):
    # Le client invente le début de la chaîne ; le mandataire ajoute la vraie.
    for faux in ("198.51.100.7", "10.0.0.1", "192.0.2.1"):
        client.post(
            "/connexion/",
            MAUVAIS,
            REMOTE_ADDR=MANDATAIRE,
            HTTP_X_FORWARDED_FOR=f"{faux}, 203.0.113.66",
        )

    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == [
        "203.0.113.66"
    ]


@pytest.mark.axes
def test_a_forwarded_header_from_an_untrusted_peer_is_not_believed(
    client, alice_agent, derriere_le_mandataire
):
    # Connexion directe (sans le mandataire) : l'en-tête change à chaque essai,
    # l'adresse comptée reste celle de la connexion.
    for i in range(5):
        client.post(
            "/connexion/",
            MAUVAIS,
            REMOTE_ADDR="203.0.113.66",
            HTTP_X_FORWARDED_FOR=f"198.51.100.{i}",
        )

    reponse = client.post(
        "/connexion/", BON, REMOTE_ADDR="203.0.113.66", HTTP_X_FORWARDED_FOR="192.0.2.9"
    )
    assert reponse.status_code == 429
    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == [
        "203.0.113.66"
    ]
    victime = client.post(
        "/connexion/", BON, REMOTE_ADDR=MANDATAIRE, HTTP_X_FORWARDED_FOR="198.51.100.1"
    )
    assert victime.status_code == 302


@pytest.mark.axes
def test_without_the_proxy_setting_the_forwarded_header_is_ignored(
    client, alice_agent, settings
):
    settings.BEHIND_TLS_PROXY = False
    for i in range(5):
        client.post(
            "/connexion/",
            MAUVAIS,
            REMOTE_ADDR=MANDATAIRE,
            HTTP_X_FORWARDED_FOR=f"198.51.100.{i}",
        )

    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == [
        MANDATAIRE
    ]
