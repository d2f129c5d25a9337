"""Banc d'essai des devis, lancé à la main (pas un test) :

    .venv/bin/python bench/bench_devis.py [--emissions 40]

Sur une base SQLite jetable (dossier temporaire, stockage privé compris), il
mesure :

1. le temps d'émission d'un devis d'une page, PDF compris (médiane, p95) ;
2. le rapport entre notre rendu (``devis_rendre_pdf``) et un rendu WeasyPrint
   nu (``HTML(string=…).write_pdf()``) du même HTML, mêmes feuilles de style et
   mêmes options (PDF/A-3b) ;
3. le temps de service d'un PDF stocké par la vue ``devis:pdf`` (client de
   test Django, agent connecté).

Cibles (machine à 2 cœurs) : rapport ≤ 1,0 (issue 15) ; émission médiane ≤ 400 ms ;
PDF stocké ≤ 20 ms.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

RACINE = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(RACINE))

DOSSIER = Path(tempfile.mkdtemp(prefix="bench-devis-"))
os.environ["DATABASE_URL"] = f"sqlite:///{DOSSIER / 'bench.sqlite3'}"
os.environ["PRIVATE_STORAGE_ROOT"] = str(DOSSIER / "prive")
os.environ["MEDIA_ROOT"] = str(DOSSIER / "media")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("LOG_LEVEL", "ERROR")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import override_settings  # noqa: E402
from django.urls import NoReverseMatch, reverse  # noqa: E402
from weasyprint import CSS, HTML  # noqa: E402
from weasyprint.text.fonts import FontConfiguration  # noqa: E402

from comptes.models import Utilisateur  # noqa: E402
from conventions.models import Collectivite, Convention  # noqa: E402
from conventions.moteur_pdf import _fichier_statique  # noqa: E402
from devis import pdf as devis_pdf  # noqa: E402
from devis import services  # noqa: E402
from tarifs.calcul import LigneDemandee  # noqa: E402
from tarifs.chargement import grille_charger_fichier  # noqa: E402

LIGNES = [
    LigneDemandee("messagerie-mise-en-service", 3),
    LigneDemandee("messagerie-5go", 3),
    LigneDemandee("nom-de-domaine", 1),
    LigneDemandee("cle-1an-cdg", 1),
    LigneDemandee("sauvegarde-mise-en-service", 1),
    LigneDemandee("sauvegarde-abonnement", 1),
    LigneDemandee("antivirus-abonnement", 5),
    LigneDemandee("forfait-categorie", 1),
]


CPU: dict[str, list[float]] = {}


def chronometrer(fonction, *, cle: str = "") -> float:
    """Durée murale en ms ; la durée CPU du processus est notée sous ``cle``
    (sur une machine chargée, la durée murale compte l'attente du processeur)."""
    debut, debut_cpu = time.perf_counter(), time.process_time()
    fonction()
    if cle:
        CPU.setdefault(cle, []).append((time.process_time() - debut_cpu) * 1000)
    return (time.perf_counter() - debut) * 1000


def p95(mesures: list[float]) -> float:
    ordonnees = sorted(mesures)
    return ordonnees[max(0, round(0.95 * len(ordonnees)) - 1)]


def preparer():
    call_command("migrate", verbosity=0, skip_checks=True)
    grille = grille_charger_fichier(
        RACINE / "tarifs" / "data" / "grille-2024-14.toml"
    ).grille
    agent = Utilisateur.objects.create_user(
        "bench@cdg62.fr", "mot-de-passe-bench", role=Utilisateur.Role.AGENT
    )
    collectivite = Collectivite.objects.create(
        nom="Ruitz",
        adresse="1 place de la Mairie",
        code_postal="62620",
        ville="Ruitz",
        population=1500,
        population_annee=2021,
    )
    Convention.objects.create(
        collectivite=collectivite, grille=grille, statut=Convention.Statut.SIGNEE
    )
    return agent, collectivite


def brouillon_fibre(collectivite, agent):
    brouillons = services.devis_creer_brouillons(
        collectivite=collectivite, lignes=LIGNES, par=agent
    )
    return next(d for d in brouillons if d.emetteur.code == "fibre")


def rendu_nu(html: str) -> bytes:
    """WeasyPrint sans notre moteur (ni cache, ni récupérateur d'URL restreint) :
    feuilles relues et polices Inter rechargées à chaque rendu."""
    polices = FontConfiguration()
    feuilles = [
        CSS(
            filename=str(_fichier_statique(devis_pdf_url(nom))),
            font_config=polices,
        )
        for nom in devis_pdf.FEUILLES
    ]
    return HTML(string=html, base_url=str(RACINE / "static") + "/").write_pdf(
        stylesheets=feuilles,
        font_config=polices,
        pdf_variant=devis_pdf.VARIANTE_PDF_EMIS,
    )


def devis_pdf_url(nom: str) -> str:
    from conventions.moteur_pdf import URL_DE_BASE

    return URL_DE_BASE + nom


def main() -> None:
    parametres = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parametres.add_argument("--emissions", type=int, default=40)
    parametres.add_argument("--rendus", type=int, default=20)
    parametres.add_argument("--services", type=int, default=200)
    options = parametres.parse_args()

    agent, collectivite = preparer()
    print(f"Base jetable : {DOSSIER}")

    # Mise en route (polices, feuilles de style, gabarits) hors mesure.
    services.devis_emettre(devis=brouillon_fibre(collectivite, agent), par=agent)

    brouillons = [
        brouillon_fibre(collectivite, agent) for _ in range(options.emissions)
    ]
    emissions = [
        chronometrer(
            lambda d=d: services.devis_emettre(devis=d, par=agent), cle="emission"
        )
        for d in brouillons
    ]
    dernier = brouillons[-1]
    dernier.refresh_from_db()
    pages = len(__import__("pypdf").PdfReader(dernier.pdf.path).pages)

    html = devis_pdf.devis_html(dernier, projet=False)
    rendu_nu(html)
    nous, nu = [], []
    for _ in range(options.rendus):
        nous.append(
            chronometrer(lambda: devis_pdf.devis_rendre_pdf(dernier), cle="nous")
        )
        nu.append(chronometrer(lambda: rendu_nu(html), cle="nu"))

    client = Client()
    client.force_login(agent)
    try:
        url = reverse("devis:pdf", args=[dernier.pk])
    except NoReverseMatch:
        url = None
    service = []
    with override_settings(ALLOWED_HOSTS=["testserver"]):
        if url is not None:
            assert client.get(url).status_code == 200
            for _ in range(options.services):
                service.append(
                    chronometrer(
                        lambda: b"".join(client.get(url).streaming_content),
                        cle="service",
                    )
                )

    charge = os.getloadavg()[0]
    print(f"Processeurs : {os.cpu_count()}, charge moyenne (1 min) : {charge:.1f}")
    print(
        f"Devis émis : {len(emissions)} (lignes : {dernier.lignes.count()}, "
        f"pages : {pages}, PDF : {dernier.pdf.size / 1024:.0f} Kio)"
    )
    print(
        f"Émission, PDF compris : médiane {statistics.median(emissions):.0f} ms, "
        f"p95 {p95(emissions):.0f} ms (cible : médiane ≤ 400 ms) ; "
        f"CPU médiane {statistics.median(CPU['emission']):.0f} ms"
    )
    print(
        f"Rendu : le nôtre {statistics.median(nous):.0f} ms, WeasyPrint nu "
        f"{statistics.median(nu):.0f} ms, rapport "
        f"{statistics.median(nous) / statistics.median(nu):.2f} (cible ≤ 1,0) ; "
        f"CPU {statistics.median(CPU['nous']):.0f} / "
        f"{statistics.median(CPU['nu']):.0f} ms, rapport "
        f"{statistics.median(CPU['nous']) / statistics.median(CPU['nu']):.2f}"
    )
    if service:
        print(
            f"PDF stocké servi par la vue devis:pdf : médiane "
            f"{statistics.median(service):.1f} ms, p95 {p95(service):.1f} ms "
            "(cible ≤ 20 ms)"
        )
    else:
        print("Vue devis:pdf absente : temps de service non mesuré.")
    print(f"(SQLite, stockage privé : {settings.PRIVATE_STORAGE_ROOT})")


if __name__ == "__main__":
    main()
