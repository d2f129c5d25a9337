"""Banc d'essai du renouvellement annuel (issue 13) — lancé à la main, imprime
ses chiffres.

    .venv/bin/python bench/bench_renouvellement.py [--emises N]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cdg62_bench \\
        .venv/bin/python bench/bench_renouvellement.py      # ou PostgreSQL

1. Base jetable : grille 2024/14, référentiel (887 communes), émetteurs et
   termes de démonstration ; chaque commune a une convention signée et deux
   abonnements (messagerie 5 Go × 1 à 20, nom de domaine), venus d'un devis
   accepté.
2. Simulation (rien d'écrit), puis campagne en brouillons sur toutes les
   communes : temps total et coût par devis (La Fibre et le CDG).
3. Campagne émise (PDF rendu, numéro) sur ``--emises`` communes (toutes par
   défaut) : temps total, coût par devis, et l'extrapolation aux 887 communes.

Les campagnes tournent sur ``--workers`` processus (2 par défaut, une part
chacun, comme les tâches que le back office met en file).
"""

from __future__ import annotations

import argparse
import datetime
import multiprocessing
import os
import sys
import time
from decimal import Decimal
from pathlib import Path

RACINE = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(RACINE))

from bench.base_jetable import preparer_environnement  # noqa: E402

PYTHON = sys.executable


def peupler() -> int:
    """Conventions signées et deux abonnements par commune (écritures en lot)."""
    from django.db import transaction

    from abonnements.models import Abonnement
    from comptes.models import Utilisateur
    from conventions import demo
    from conventions.models import Collectivite, Convention, Organisme
    from devis.models import DemandeDevis, Devis, LigneDevis
    from tarifs.models import GrilleTarifaire

    demo.completer_emetteurs()
    demo.publier_termes_demo()
    Utilisateur.objects.get_or_create(
        email="agent-bench@cdg62.fr",
        defaults={"role": Utilisateur.Role.AGENT, "is_superuser": True},
    )
    grille = GrilleTarifaire.objects.get(reference="2024/14")
    # L'adresse du destinataire est imprimée : sans elle, rien ne s'émet.
    Collectivite.objects.filter(type="commune", adresse="").update(
        adresse="Place de la Mairie", code_postal="62000", ville="Mairie"
    )
    communes = list(Collectivite.objects.filter(type="commune").order_by("pk"))
    organismes = {o.code: o for o in Organisme.objects.all()}
    debut = datetime.date(2025, 3, 1)
    with transaction.atomic():
        Convention.objects.bulk_create(
            Convention(collectivite=c, grille=grille, statut="signee", date_effet=debut)
            for c in communes
        )
        demandes = DemandeDevis.objects.bulk_create(
            DemandeDevis(collectivite=c, lignes_demandees=[]) for c in communes
        )
        devis = Devis.objects.bulk_create(
            Devis(
                demande=d,
                emetteur=organismes["fibre"],
                collectivite=d.collectivite,
                grille=grille,
                statut="brouillon",
                numero=f"BANC-{d.pk:05d}",
                annee=2025,
                sequence=d.pk,
                date_emission=debut,
                date_validite=debut + datetime.timedelta(days=90),
                signataire_nom="Banc d'essai",
            )
            for d in demandes
        )
        lignes = []
        for i, d in enumerate(devis):
            comptes = 1 + i % 20
            lignes += [
                LigneDevis(devis=d, ordre=10, code="messagerie-5go",
                           libelle="Messagerie — compte 5 Go", quantite=comptes,
                           prix_unitaire=Decimal("20.00"), montant=20 * comptes,
                           periodicite="annuelle", mode="tarif"),
                LigneDevis(devis=d, ordre=20, code="nom-de-domaine",
                           libelle="Nom de domaine", quantite=1,
                           prix_unitaire=Decimal("15.00"), montant=Decimal("15.00"),
                           periodicite="annuelle", mode="tarif"),
            ]  # fmt: skip
        lignes = LigneDevis.objects.bulk_create(lignes)
        Devis.objects.filter(pk__in=[d.pk for d in devis]).update(statut="emis")
        Devis.objects.filter(pk__in=[d.pk for d in devis]).update(statut="accepte")
        Abonnement.objects.bulk_create(
            Abonnement(
                collectivite_id=ligne.devis.collectivite_id,
                emetteur=organismes["fibre"],
                code=ligne.code,
                libelle=ligne.libelle,
                quantite=ligne.quantite,
                montant_annuel=ligne.montant,
                debut=debut,
                devis=ligne.devis,
                ligne=ligne,
                grille=grille,
            )
            for ligne in lignes
        )
    return len(communes)


def campagne(annee: int, *, emettre: bool, limite: int | None = None, workers=2):
    from abonnements import services
    from abonnements.models import Renouvellement
    from comptes.models import Utilisateur

    agent = Utilisateur.objects.get(email="agent-bench@cdg62.fr")
    jour = datetime.date(annee, 1, 1)
    if (
        limite is not None
    ):  # seules les ``limite`` premières communes gardent un abonnement actif
        from abonnements.models import Abonnement

        garder = list(
            services.collectivites_a_renouveler(jour).values_list("pk", flat=True)
        )[:limite]
        Abonnement.objects.exclude(collectivite_id__in=garder).update(debut=jour)
    cree = Renouvellement.objects.create(
        annee=annee, date_renouvellement=jour, emettre=emettre, lance_par=agent
    )
    debut = time.perf_counter()
    if workers == 1:
        services.renouvellement_executer(cree.pk)
    else:  # une part par worker, comme les tâches mises en file par le back office
        from django.db import connections

        connections.close_all()
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            pool.starmap(
                _part, [(cree.pk, partie, workers) for partie in range(workers)]
            )
    duree = time.perf_counter() - debut
    return Renouvellement.objects.get(pk=cree.pk), duree


def _part(campagne_id: int, partie: int, parties: int) -> None:
    from abonnements import services

    services.renouvellement_executer(campagne_id, partie, parties)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--emises", type=int, default=None, help="communes de la campagne émise"
    )
    parser.add_argument(
        "--workers", type=int, default=2, help="workers (processus) de la campagne"
    )
    args = parser.parse_args()
    env = preparer_environnement([["charger_grille"], ["charger_referentiel"]])
    os.environ.update(env)
    sys.path.insert(0, str(RACINE))
    import django

    django.setup()
    from django.db.models import Count

    from abonnements import services
    from devis.models import Devis

    t0 = time.perf_counter()
    communes = peupler()
    moteur = env["DATABASE_URL"].split(":")[0]
    duree = time.perf_counter() - t0
    print(
        f"{communes} communes, {2 * communes} abonnements en {duree:.0f} s ({moteur})"
    )

    t0 = time.perf_counter()
    simulation = services.renouvellement_simuler(annee=2027)
    print(f"Simulation 2027 : {simulation.collectivites} collectivités en "
          f"{time.perf_counter() - t0:.1f} s ; " + ", ".join(
              f"{e} {simulation.devis[e]} devis {simulation.annuel[e]} €/an"
              for e in sorted(simulation.annuel)))  # fmt: skip

    for annee, emettre, limite in ((2027, False, None), (2028, True, args.emises)):
        resultat, duree = campagne(
            annee, emettre=emettre, limite=limite, workers=args.workers
        )
        nb = Devis.objects.filter(demande__renouvellement__annee=annee).count()
        par_emetteur = dict(
            Devis.objects.filter(demande__renouvellement__annee=annee)
            .values_list("emetteur__code")
            .annotate(n=Count("id"))
        )
        cout = duree / nb if nb else 0
        mode = ("émise" if emettre else "brouillons") + f", {args.workers} worker(s)"
        ligne = (
            f"Campagne {annee} ({mode}) : {resultat.faites} collectivités, {nb} devis "
            f"{par_emetteur}, {duree:.1f} s, {1000 * cout:.0f} ms par devis, "
            f"{resultat.compte('echec')} en échec"
        )
        if emettre and resultat.faites and resultat.faites < communes:
            total = cout * nb / resultat.faites * communes / 60
            ligne += f" ; extrapolé à {communes} communes : {total:.1f} min"
        print(ligne)
        for motif in {r["motif"] for r in resultat.rapport if r["resultat"] != "cree"}:
            print(f"  non créé : {motif}")
    print("Cible (campagne émise, 887 communes, 2 cœurs) : ≤ 5 min.")


if __name__ == "__main__":
    main()
