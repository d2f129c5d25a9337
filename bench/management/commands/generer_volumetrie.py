"""Jeu de données volumineux pour le banc d'essai (``bench/bench_pages.py``).

2 000 collectivités, 2 000 conventions, 20 000 devis (par défaut), insérés en
masse. Les devis « émis » de ce jeu n'ont pas de PDF : rendre 20 000 PDF
prendrait des heures et ne mesure pas les pages. À n'utiliser que sur une base
jetable : la commande refuse une base qui contient déjà des collectivités.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone

from comptes.models import Utilisateur
from conventions.models import Adhesion, Collectivite, Convention, Organisme
from devis.models import CompteurDevis, DemandeDevis, Devis, LigneDevis
from devis.numerotation import format_numero
from tarifs.selectors import grille_en_vigueur

LOT = 1000
# Départements métropolitains à deux chiffres (la Corse, 2A/2B, à part) : 999
# communes chacun, de quoi donner à 94 000 collectivités un code INSEE valide
# de cinq caractères (le Pas-de-Calais puis le Nord d'abord).
DEPARTEMENTS = [62, 59] + [d for d in range(1, 96) if d not in (20, 59, 62)]


def code_insee(rang: int) -> str:
    """Le code INSEE (5 caractères) de la ``rang``-ième collectivité du jeu."""
    departement, commune = divmod(rang, 999)
    if departement >= len(DEPARTEMENTS):
        raise CommandError("Au plus 93 906 collectivités dans ce jeu de données.")
    return f"{DEPARTEMENTS[departement]:02d}{commune + 1:03d}"


class Command(BaseCommand):
    help = "Peuple une base jetable : collectivités, conventions et devis en volume."

    def add_arguments(self, parser):
        parser.add_argument("--collectivites", type=int, default=2000)
        parser.add_argument("--devis", type=int, default=20000)
        parser.add_argument("--graine", type=int, default=62)

    def handle(self, *args, collectivites, devis, graine, **options):
        if Collectivite.objects.exists():
            raise CommandError(
                "La base contient déjà des collectivités : base jetable requise."
            )
        grille = grille_en_vigueur(timezone.localdate())
        if grille is None:
            raise CommandError("Chargez d'abord une grille (charger_grille).")
        hasard = random.Random(graine)
        with transaction.atomic():
            self._generer(hasard, grille, collectivites, devis)
        # Après un chargement en masse, PostgreSQL croit les tables vides jusqu'au
        # passage de l'autovacuum, et choisit de mauvais plans (tableau de bord :
        # 65 ms au lieu de 35). Sur SQLite, les statistiques d'ANALYZE donnent au
        # contraire des plans plus lents pour nos listes (mesuré) : on s'en passe.
        if connection.vendor == "postgresql":
            with connection.cursor() as curseur:
                curseur.execute("ANALYZE")
        self.stdout.write(
            self.style.SUCCESS(
                f"{collectivites} collectivités, {collectivites} conventions, "
                f"{devis} devis créés."
            )
        )

    def _generer(self, hasard, grille, nb_collectivites, nb_devis):
        # Les parts de la France : 1 254 EPCI pour 34 969 communes (1 sur 28) ;
        # 10 % d'EPCI faisaient un menu « EPCI » de 2 000 entrées à 10×.
        types = [Collectivite.Type.COMMUNE] * 26 + [
            Collectivite.Type.EPCI,
            Collectivite.Type.CCAS,
        ]
        Collectivite.objects.bulk_create(
            [
                Collectivite(
                    nom=f"Commune de test {i:04d}",
                    type=hasard.choice(types),
                    code_insee=code_insee(i),
                    population=hasard.randint(80, 120_000),
                    population_annee=2021,
                    emails_contact=f"mairie{i}@exemple.test",
                )
                for i in range(nb_collectivites)
            ],
            batch_size=LOT,
        )
        collectivites = list(Collectivite.objects.order_by("pk"))
        signee = Convention.Statut.SIGNEE
        Convention.objects.bulk_create(
            [
                Convention(
                    collectivite=c,
                    grille=grille,
                    statut=signee,
                    date_effet=date(2024, 6, 1),
                )
                for c in collectivites
            ],
            batch_size=LOT,
        )
        secretaire, _ = Utilisateur.objects.get_or_create(
            email="volumetrie@exemple.test", defaults={"role": Utilisateur.Role.PORTAIL}
        )
        secretaire.set_password("volumetrie-62")
        secretaire.save()
        Adhesion.objects.bulk_create(
            [
                Adhesion(utilisateur=secretaire, collectivite=c, role="signataire")
                for c in collectivites[:3]
            ]
        )
        organismes = {o.code: o for o in Organisme.objects.all()}
        demandes = DemandeDevis.objects.bulk_create(
            [
                DemandeDevis(
                    collectivite=collectivites[i % len(collectivites)],
                    lignes_demandees=[{"code": "messagerie-5go", "quantite": 3}],
                )
                for i in range(nb_devis // 2)
            ],
            batch_size=LOT,
        )
        annee = timezone.localdate().year
        aujourdhui = timezone.localdate()
        statuts = ["emis"] * 5 + ["accepte"] * 2 + ["brouillon", "refuse", "annule"]
        sequences = {"fibre": 0, "cdg": 0}
        a_creer = []
        for i in range(nb_devis):
            demande = demandes[i // 2]
            emetteur = "fibre" if i % 2 == 0 else "cdg"
            statut = hasard.choice(statuts)
            numero = None
            sequence = None
            if statut != "brouillon":
                sequences[emetteur] += 1
                sequence = sequences[emetteur]
                numero = format_numero(
                    prefixe=organismes[emetteur].prefixe_numero,
                    annee=annee,
                    sequence=sequence,
                )
            montant = Decimal("60.00") if emetteur == "fibre" else Decimal("50.00")
            emission = aujourdhui - timedelta(days=hasard.randint(0, 120))
            a_creer.append(
                Devis(
                    demande=demande,
                    emetteur=organismes[emetteur],
                    collectivite=demande.collectivite,
                    grille=grille,
                    statut="brouillon",  # émis juste après, par une mise à jour
                    numero=numero,
                    annee=annee if numero else None,
                    sequence=sequence,
                    date_emission=emission if numero else None,
                    date_validite=emission + timedelta(days=90) if numero else None,
                    categorie="A",
                    total_annuel=montant,
                    total_premiere_annee=montant,
                    refus_motif="Volumétrie" if statut == "refuse" else "",
                    annulation_motif="Volumétrie" if statut == "annule" else "",
                    signataire_nom="Volumétrie" if statut == "accepte" else "",
                )
            )
            a_creer[-1]._statut_final = statut
        crees = Devis.objects.bulk_create(a_creer, batch_size=LOT)
        lignes = []
        for d in crees:
            emetteur = "fibre" if d.emetteur_id == organismes["fibre"].pk else "cdg"
            lignes.append(
                LigneDevis(
                    devis=d,
                    ordre=10,
                    code="messagerie-5go"
                    if emetteur == "fibre"
                    else "messagerie-accompagnement",
                    libelle="Messagerie — compte 5 Go"
                    if emetteur == "fibre"
                    else "Accompagnement messagerie",
                    quantite=3,
                    prix_unitaire=d.total_annuel
                    if emetteur == "cdg"
                    else Decimal("20.00"),
                    montant=d.total_annuel,
                    periodicite="annuelle",
                    mode="tarif",
                )
            )
        LigneDevis.objects.bulk_create(lignes, batch_size=LOT)
        # Sortie du brouillon en une requête par statut (les déclencheurs
        # n'autorisent l'écriture des lignes que tant que le devis est brouillon,
        # et l'état ne suit que les transitions permises : brouillon → émis →
        # accepté, refusé ou annulé).
        par_statut: dict[str, list[int]] = {}
        for d in crees:
            par_statut.setdefault(d._statut_final, []).append(d.pk)
        for statut, pks in par_statut.items():
            if statut == "brouillon":
                continue
            for debut in range(0, len(pks), LOT):
                lot = Devis.objects.filter(pk__in=pks[debut : debut + LOT])
                lot.update(statut="emis")
                if statut != "emis":
                    lot.update(statut=statut)
        for emetteur, dernier in sequences.items():
            CompteurDevis.objects.update_or_create(
                emetteur=organismes[emetteur],
                annee=annee,
                defaults={"dernier": dernier},
            )
