"""Verrouillage des connexions derrière le mandataire, sous un vrai gunicorn.

gunicorn est lancé avec ``config/gunicorn.conf.py`` sur un port libre, une base
SQLite temporaire migrée et un compte créé ; les requêtes HTTP portent
l'en-tête ``X-Forwarded-For`` qu'ajouterait le mandataire. Ignoré (``-m "not
serveur"``, ou sans gunicorn).
"""

from __future__ import annotations

import http.client
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

import pytest

pytestmark = pytest.mark.serveur

RACINE = Path(__file__).resolve().parents[2]
GUNICORN = shutil.which("gunicorn", path=str(Path(sys.executable).parent))


def _port_libre() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def serveur(tmp_path_factory):
    if GUNICORN is None:
        pytest.skip("gunicorn n'est pas installé")
    dossier = tmp_path_factory.mktemp("gunicorn")
    port = _port_libre()
    environnement = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{dossier / 'base.sqlite3'}",
        "BEHIND_TLS_PROXY": "1",
        "FORWARDED_ALLOW_IPS": "127.0.0.1",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": "1",
        "GUNICORN_ACCESS_LOG": str(dossier / "acces.log"),
        "PRIVATE_STORAGE_ROOT": str(dossier / "prive"),
        "DEBUG": "0",
        "ALLOWED_HOSTS": "127.0.0.1",
        "CACHE_URL": "locmemcache://gunicorn",
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    environnement.pop("PYTEST_CURRENT_TEST", None)
    manage = [sys.executable, str(RACINE / "manage.py")]
    subprocess.run(
        [*manage, "migrate", "--noinput", "-v", "0"],
        env=environnement,
        cwd=RACINE,
        check=True,
        timeout=120,
    )
    subprocess.run(
        [
            *manage,
            "shell",
            "-c",
            "from conventions.models import Utilisateur as U; "
            "U.objects.create_user('alice@cdg62.fr', 'mot-de-passe-alice', "
            "role=U.Role.AGENT)",
        ],
        env=environnement,
        cwd=RACINE,
        check=True,
        timeout=60,
    )
    processus = subprocess.Popen(
        [GUNICORN, "config.wsgi:application", "--config", "config/gunicorn.conf.py"],
        env=environnement,
        cwd=RACINE,
        stdout=subprocess.DEVNULL,
        stderr=(dossier / "gunicorn.log").open("wb"),
    )
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        else:
            journal = (dossier / "gunicorn.log").read_text(errors="replace")
            pytest.fail(f"gunicorn n'a pas démarré :\n{journal[-2000:]}")
        yield port
    finally:
        processus.terminate()
        processus.wait(timeout=10)


def _connexion(port: int, mot_de_passe: str, client: str) -> int:
    """Une tentative de connexion complète (page, jeton CSRF, envoi), vue du
    mandataire qui transmet l'adresse ``client`` ; renvoie le statut HTTP."""
    entetes = {"X-Forwarded-For": client, "Host": "127.0.0.1"}
    http_ = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    http_.request("GET", "/connexion/", headers=entetes)
    page = http_.getresponse()
    corps = page.read().decode()
    cookies = "; ".join(
        valeur.split(";", 1)[0]
        for cle, valeur in page.getheaders()
        if cle.lower() == "set-cookie"
    )
    jeton = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', corps).group(1)
    donnees = urllib.parse.urlencode(
        {
            "csrfmiddlewaretoken": jeton,
            "username": "alice@cdg62.fr",
            "password": mot_de_passe,
        }
    )
    http_.request(
        "POST",
        "/connexion/",
        body=donnees,
        headers={
            **entetes,
            "Cookie": cookies,
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )
    reponse = http_.getresponse()
    reponse.read()
    http_.close()
    return reponse.status


def test_behind_gunicorn_an_attacker_locks_only_their_own_address(serveur):
    echecs = [_connexion(serveur, "pas-le-bon", "203.0.113.66") for _ in range(5)]

    # Formulaire réaffiché avec l'erreur, puis verrouillage au cinquième échec.
    assert echecs == [200, 200, 200, 200, 429]
    assert _connexion(serveur, "mot-de-passe-alice", "203.0.113.66") == 429
    assert _connexion(serveur, "mot-de-passe-alice", "198.51.100.7") == 302
