"""Banc d'essai des pages à l'échelle (issue 6) — lancé à la main, imprime ses chiffres.

    .venv/bin/python bench/bench_pages.py            # base SQLite jetable
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cdg62_bench \\
        .venv/bin/python bench/bench_pages.py        # ou PostgreSQL (base recréée)

1. Crée une base jetable, charge la grille et ``generer_volumetrie`` (2 000
   collectivités, 2 000 conventions, 20 000 devis).
2. Pour chaque page de liste et de détail du back office et du portail : nombre de
   requêtes SQL et temps serveur p50/p95 (client de test Django, 30 mesures).
3. ``POST /api/chiffrage`` : p50 sur 300 appels.
4. Requêtes par seconde de l'accueil du portail sous gunicorn, rapportées à celles
   d'une vue « hello world » sur le même serveur, mesurées côte à côte (wrk).

Aucun cache : sessions en base, pages calculées à chaque visite, comme en
production.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

RACINE = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(RACINE))

from bench.base_jetable import preparer_environnement  # noqa: E402

PYTHON = sys.executable


def centile(valeurs: list[float], p: float) -> float:
    valeurs = sorted(valeurs)
    return valeurs[min(len(valeurs) - 1, int(round(p / 100 * (len(valeurs) - 1))))]


def mesurer_pages(env: dict[str, str]) -> tuple[str, str]:
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.reglages")
    sys.path.insert(0, str(RACINE))
    import django

    django.setup()
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections, connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from comptes.models import Utilisateur
    from conventions.models import Collectivite, Convention
    from devis.models import Devis

    # Comme le fait l'outillage de test de Django : la connexion reste ouverte
    # entre les requêtes du client, sans quoi le journal des requêtes se vide.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    agent, _ = Utilisateur.objects.get_or_create(
        email="agent-bench@cdg62.fr", defaults={"role": Utilisateur.Role.AGENT}
    )
    secretaire = Utilisateur.objects.get(email="volumetrie@exemple.test")
    collectivite = Collectivite.objects.filter(
        adhesions__utilisateur=secretaire
    ).first()
    convention = Convention.objects.filter(collectivite=collectivite).first()
    devis_emis = (
        Devis.objects.filter(collectivite=collectivite)
        .exclude(statut="brouillon")
        .first()
    )
    un_devis = Devis.objects.exclude(statut="brouillon").order_by("-pk").first()

    c_agent, c_portail = Client(), Client()
    c_agent.force_login(agent)
    c_portail.force_login(secretaire)
    pages = [
        ("gestion", "tableau de bord", c_agent, "/gestion/"),
        ("gestion", "collectivités (liste)", c_agent, "/gestion/collectivites/"),
        (
            "gestion",
            "collectivités (recherche)",
            c_agent,
            "/gestion/collectivites/?q=test+01",
        ),
        (
            "gestion",
            "collectivité (détail)",
            c_agent,
            f"/gestion/collectivites/{collectivite.pk}/",
        ),
        ("gestion", "conventions (liste)", c_agent, "/gestion/conventions/"),
        (
            "gestion",
            "convention (détail)",
            c_agent,
            f"/gestion/conventions/{convention.pk}/",
        ),
        ("gestion", "devis (liste)", c_agent, "/gestion/devis/"),
        (
            "gestion",
            "devis (liste filtrée)",
            c_agent,
            "/gestion/devis/?emetteur=cdg&statut=emis",
        ),
        ("gestion", "devis (détail)", c_agent, f"/gestion/devis/{un_devis.pk}/"),
        ("portail", "accueil", c_portail, "/portail/"),
        ("portail", "collectivité", c_portail, f"/portail/{collectivite.pk}/"),
        (
            "portail",
            "devis (détail)",
            c_portail,
            f"/portail/{collectivite.pk}/devis/{devis_emis.pk}/",
        ),
    ]
    lignes = [
        "| côté | page | statut | requêtes SQL | p50 (ms) | p95 (ms) |",
        "|---|---|---|---|---|---|",
    ]
    for cote, nom, client, url, *avant in pages:
        for _ in range(3):
            client.get(url)
        durees = []
        for preparer in avant:
            preparer()
        reset_queries()  # request_started vide le journal : partir de zéro
        with CaptureQueriesContext(connection) as requetes:
            reponse = client.get(url)
        nb_requetes = len(requetes.captured_queries)  # avant que le journal change
        for _ in range(30):
            for preparer in avant:
                preparer()
            debut = time.perf_counter()
            client.get(url)
            durees.append((time.perf_counter() - debut) * 1000)
        lignes.append(
            f"| {cote} | {nom} | {reponse.status_code} "
            f"| {nb_requetes} "
            f"| {centile(durees, 50):.1f} | {centile(durees, 95):.1f} |"
        )

    corps = json.dumps(
        {
            "collectivite": {"population": 850},
            "lignes": [
                {"code": "messagerie-5go", "quantite": 3},
                {
                    "code": "antivirus-mise-en-service",
                    "quantite": 8,
                    "intervention": True,
                },
                {"code": "forfait-categorie", "quantite": 1},
            ],
        }
    )
    anonyme = Client()
    durees = []
    for i in range(320):
        debut = time.perf_counter()
        reponse = anonyme.post("/api/chiffrage", corps, content_type="application/json")
        if i >= 20:
            durees.append((time.perf_counter() - debut) * 1000)
    assert reponse.status_code == 200, reponse.content
    lignes.append("")
    lignes.append(
        f"API /api/chiffrage : p50 {centile(durees, 50):.2f} ms, "
        f"p95 {centile(durees, 95):.2f} ms (300 appels)"
    )
    # Les cookies d'un navigateur déjà venu : session et jeton CSRF.
    cookie = "; ".join(f"{nom}={c.value}" for nom, c in c_portail.cookies.items())
    return "\n".join(lignes), cookie


def mesurer_debit(env: dict[str, str], cookie: str) -> str:
    if not shutil.which("wrk"):
        return "Débit : wrk absent (apt-get install wrk) — mesure non faite."
    port = "8099"
    serveur = subprocess.Popen(
        [
            str(Path(PYTHON).parent / "gunicorn"),
            "config.wsgi:application",
            "--config",
            "config/gunicorn.conf.py",
        ],
        cwd=RACINE,
        env={
            **env,
            "GUNICORN_BIND": f"127.0.0.1:{port}",
            "GUNICORN_ACCESS_LOG": "/dev/null",
            # Régime établi : pas de remplacement des processus en cours de
            # mesure (à ce débit, le garde-fou de 2 000 requêtes en relancerait
            # un chaque seconde, et sa relance fausserait les deux débits).
            "GUNICORN_MAX_REQUESTS": "0",
        },
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        time.sleep(4)

        def rps(chemin: str, avec_cookie: bool) -> float:
            commande = ["wrk", "-t2", "-c8", "-d6s", f"http://127.0.0.1:{port}{chemin}"]
            if avec_cookie:
                commande[1:1] = ["-H", f"Cookie: {cookie}"]
            sortie = subprocess.run(commande, capture_output=True, text=True).stdout
            ligne = next(x for x in sortie.splitlines() if x.startswith("Requests/sec"))
            return float(ligne.split()[1])

        rps("/bench/bonjour", False)  # chauffe
        rps("/portail/", True)
        bonjour, portail = [], []
        for _ in range(3):  # côte à côte, en alternance
            bonjour.append(rps("/bench/bonjour", False))
            portail.append(rps("/portail/", True))
        b, p = statistics.mean(bonjour), statistics.mean(portail)
        return (
            f"Débit gunicorn ({env.get('GUNICORN_WORKERS', 'auto')} workers, "
            f"wrk -t2 -c8) : "
            f"hello world {b:.0f} req/s, accueil du portail {p:.0f} req/s, "
            f"ratio {p / b:.2f}"
        )
    finally:
        serveur.terminate()
        serveur.wait(timeout=10)


def main() -> None:
    debut = time.perf_counter()
    env = preparer_environnement([["charger_grille"], ["generer_volumetrie"]])
    print(
        f"Données prêtes en {time.perf_counter() - debut:.0f} s ({env['DATABASE_URL']})"
    )
    tableau, cookie = mesurer_pages(env)
    print(tableau)
    print(mesurer_debit(env, cookie))


if __name__ == "__main__":
    main()
