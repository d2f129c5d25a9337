"""Protection de la connexion et en-têtes de sécurité."""

from __future__ import annotations

import pytest

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
