"""Une panne du cache (Redis arrêté, ou qui accepte la connexion sans jamais
répondre) ne casse rien : sessions et connexions vivent en base, la sonde
``/sante`` signale le cache « dégradé » en moins d'une seconde et le journalise.
"""

from __future__ import annotations

import socket
import threading
import time

import pytest

from tests.factories import CollectiviteFactory, UtilisateurFactory


def _port_libre() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def redis_a(settings):
    """Branche le cache sur un Redis à l'adresse donnée (réglages de
    ``config/settings.py`` : délais de 0,25 s)."""

    def brancher(port: int):
        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": f"redis://127.0.0.1:{port}/15",
                "OPTIONS": {"socket_connect_timeout": 0.25, "socket_timeout": 0.25},
            }
        }
        # Django recrée alors ses clients de cache (signal setting_changed).

    return brancher


@pytest.fixture
def redis_arrete(redis_a):
    redis_a(_port_libre())  # personne n'écoute : connexion refusée


@pytest.fixture
def redis_muet(redis_a):
    """Un serveur qui accepte les connexions et ne répond jamais."""
    serveur = socket.socket()
    serveur.bind(("127.0.0.1", 0))
    serveur.listen(16)
    ouvertes = []
    arret = threading.Event()

    def accepter():
        serveur.settimeout(0.1)
        while not arret.is_set():
            try:
                ouvertes.append(serveur.accept()[0])
            except OSError:
                continue

    fil = threading.Thread(target=accepter, daemon=True)
    fil.start()
    redis_a(serveur.getsockname()[1])
    yield
    arret.set()
    fil.join(1)
    for connexion in ouvertes:
        connexion.close()
    serveur.close()


@pytest.mark.parametrize("panne", ["redis_arrete", "redis_muet"])
def test_the_health_check_reports_a_degraded_cache_in_under_a_second(
    client, db, request, panne, caplog
):
    request.getfixturevalue(panne)
    debut = time.monotonic()
    reponse = client.get("/sante")
    duree = time.monotonic() - debut
    assert reponse.status_code == 200
    assert reponse.text == "ok\ncache : dégradé"
    assert duree < 1.0
    assert "Cache indisponible" in caplog.text


@pytest.mark.parametrize("panne", ["redis_arrete", "redis_muet"])
def test_login_and_portal_pages_keep_working_when_the_cache_is_down(
    client, db, request, panne
):
    request.getfixturevalue(panne)
    ruitz = CollectiviteFactory(nom="Ruitz")
    secretaire = UtilisateurFactory(email="sophie@mairie.fr")
    secretaire.set_password("mot-de-passe-sophie")
    secretaire.save()
    secretaire.adhesions.create(collectivite=ruitz, role="signataire")

    connexion = client.post(
        "/connexion/",
        {"username": "sophie@mairie.fr", "password": "mot-de-passe-sophie"},
    )
    assert connexion.status_code == 302
    page = client.get("/portail/", follow=True)
    assert page.status_code == 200
    assert "Ruitz" in page.text
    deconnexion = client.post("/deconnexion/")
    assert deconnexion.status_code == 302
    assert client.get("/portail/").status_code == 302  # retour à la connexion


def test_the_health_check_says_ok_when_redis_answers(client, db, redis_a):
    import redis

    try:
        redis.Redis(host="127.0.0.1", port=6379, socket_connect_timeout=0.25).ping()
    except redis.RedisError:
        pytest.skip("aucun Redis local sur 127.0.0.1:6379")
    redis_a(6379)
    assert client.get("/sante").text == "ok\ncache : ok"
