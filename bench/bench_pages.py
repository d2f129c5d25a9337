"""Banc d'essai des pages à 1× et 10× (issues 6 et 15) — lancé à la main, imprime
ses chiffres.

    .venv/bin/python bench/bench_pages.py            # bases SQLite jetables
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cdg62_bench \
        .venv/bin/python bench/bench_pages.py        # ou PostgreSQL (base recréée)
    … --echelles 1 --debit non                       # une seule échelle, sans wrk

1. Pour chaque échelle (1× : 2 000 collectivités, 2 000 conventions, 20 000 devis ;
   10× : 20 000 / 20 000 / 200 000) : base jetable, grille, ``generer_volumetrie``.
2. Pour chaque page de liste, de recherche et de détail du back office et du
   portail : requêtes SQL et temps serveur p50/p95 (client de test Django, 30
   mesures), dans un processus à part par échelle.
3. Un tableau côte à côte des échelles, avec la **croissance** du p95 (10× / 1×).
   Cibles à 10× sur PostgreSQL : p95 ≤ 100 ms et croissance ≤ 1,5.
4. ``POST /api/chiffrage`` : p50 sur 300 appels.
5. À la plus grande échelle : requêtes par seconde de la liste des devis et de
   l'accueil du portail sous gunicorn, rapportées à une vue « hello world » sur
   le même serveur, mesurées côte à côte (wrk). Cible liste des devis ≥ 0,3×.

Aucun cache : sessions en base, pages calculées à chaque visite, comme en
production.
"""

from __future__ import annotations

import argparse
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


def mesurer_pages(env: dict[str, str]) -> dict:
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
            "devis (dernière page)",
            c_agent,
            f"/gestion/devis/?page={-(-Devis.objects.count() // 25)}",
        ),
        ("gestion", "devis (recherche numéro)", c_agent, "/gestion/devis/?q=0042"),
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
    mesures = []
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
        mesures.append(
            {
                "cote": cote,
                "page": nom,
                "url": url,
                "statut": reponse.status_code,
                "requetes": nb_requetes,
                "p50": centile(durees, 50),
                "p95": centile(durees, 95),
            }
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
    # Les cookies d'un navigateur déjà venu : session et jeton CSRF.
    cookies = {
        cote: "; ".join(f"{nom}={c.value}" for nom, c in client.cookies.items())
        for cote, client in (("gestion", c_agent), ("portail", c_portail))
    }
    return {
        "pages": mesures,
        "api_p50": centile(durees, 50),
        "api_p95": centile(durees, 95),
        "cookies": cookies,
        "devis": Devis.objects.count(),
        "collectivites": Collectivite.objects.count(),
    }


def mesurer_debit(env: dict[str, str], cookies: dict[str, str]) -> str:
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

        def rps(chemin: str, cookie: str) -> float:
            commande = ["wrk", "-t2", "-c8", "-d6s", f"http://127.0.0.1:{port}{chemin}"]
            if cookie:
                commande[1:1] = ["-H", f"Cookie: {cookie}"]
            sortie = subprocess.run(commande, capture_output=True, text=True).stdout
            ligne = next(x for x in sortie.splitlines() if x.startswith("Requests/sec"))
            return float(ligne.split()[1])

        cibles = {
            "hello world": ("/bench/bonjour", ""),
            "liste des devis": ("/gestion/devis/", cookies["gestion"]),
            "accueil du portail": ("/portail/", cookies["portail"]),
        }
        for chemin, cookie in cibles.values():  # chauffe
            rps(chemin, cookie)
        debits = {nom: [] for nom in cibles}
        for _ in range(3):  # côte à côte, en alternance
            for nom, (chemin, cookie) in cibles.items():
                debits[nom].append(rps(chemin, cookie))
        moyen = {nom: statistics.mean(v) for nom, v in debits.items()}
        b = moyen["hello world"]
        return f"Débit gunicorn ({env.get('GUNICORN_WORKERS', 'auto')} workers, " + (
            "wrk -t2 -c8) : "
            + ", ".join(
                f"{nom} {v:.0f} req/s"
                + ("" if nom == "hello world" else f" ({v / b:.2f}×)")
                for nom, v in moyen.items()
            )
        )
    finally:
        serveur.terminate()
        serveur.wait(timeout=10)


def preparer(echelle: int) -> dict[str, str]:
    debut = time.perf_counter()
    env = preparer_environnement(
        [
            ["charger_grille"],
            [
                "generer_volumetrie",
                "--collectivites",
                str(2000 * echelle),
                "--devis",
                str(20000 * echelle),
            ],
        ]
    )
    duree = time.perf_counter() - debut
    print(f"{echelle}× : données prêtes en {duree:.0f} s ({env['DATABASE_URL']})")
    return env


def mesurer_a_part(env: dict[str, str]) -> dict:
    """Les mesures dans un processus neuf (Django ne se règle qu'une fois)."""
    sortie = subprocess.run(
        [PYTHON, __file__, "--mesurer"],
        cwd=RACINE,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(sortie.splitlines()[-1])


def tableau(resultats: dict[int, dict]) -> str:
    echelles = sorted(resultats)
    entete = "| côté | page | " + " | ".join(
        f"req. {e}× | p50 {e}× | p95 {e}×" for e in echelles
    )
    if len(echelles) > 1:
        entete += f" | croissance p95 {echelles[-1]}×/{echelles[0]}×"
    colonnes = 2 + 3 * len(echelles) + (len(echelles) > 1)
    lignes = [entete + " |", "|" + "---|" * colonnes]
    par_page = {
        e: {(m["cote"], m["page"]): m for m in resultats[e]["pages"]} for e in echelles
    }
    for mesure in resultats[echelles[0]]["pages"]:
        cellules = [mesure["cote"], mesure["page"]]
        for e in echelles:
            m = par_page[e][(mesure["cote"], mesure["page"])]
            statut = "" if m["statut"] == 200 else f" ({m['statut']})"
            cellules += [
                f"{m['requetes']}{statut}",
                f"{m['p50']:.1f}",
                f"{m['p95']:.1f}",
            ]
        if len(echelles) > 1:
            cle = (mesure["cote"], mesure["page"])
            premier = par_page[echelles[0]][cle]["p95"]
            dernier = par_page[echelles[-1]][cle]["p95"]
            cellules.append(f"{dernier / premier:.2f}")
        lignes.append("| " + " | ".join(cellules) + " |")
    for e in echelles:
        r = resultats[e]
        lignes.append(
            f"\n{e}× ({r['collectivites']} collectivités, {r['devis']} devis) — API "
            f"/api/chiffrage : p50 {r['api_p50']:.2f} ms, p95 {r['api_p95']:.2f} ms"
        )
    return "\n".join(lignes)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--echelles", default="1,10")
    parser.add_argument("--debit", default="oui", choices=["oui", "non"])
    parser.add_argument("--mesurer", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.mesurer:
        print(json.dumps(mesurer_pages(dict(os.environ))))
        return
    resultats, env = {}, None
    for echelle in (int(e) for e in args.echelles.split(",")):
        env = preparer(echelle)
        resultats[echelle] = mesurer_a_part(env)
    print(tableau(resultats))
    if args.debit == "oui":
        print(mesurer_debit(env, resultats[max(resultats)]["cookies"]))


if __name__ == "__main__":
    main()
