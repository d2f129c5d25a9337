"""Le renouvellement annuel depuis un terminal ::

    python manage.py renouveler --annee 2027 [--date JJ/MM/AAAA] [--emettre]
    python manage.py renouveler --annee 2027 --simulation

La campagne de renouvellement annuel depuis un terminal : même service que le
bouton « Lancer le renouvellement » du back office, exécuté ici sans passer par
la file de tâches. ``--simulation`` chiffre et imprime les totaux par émetteur
sans rien écrire.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from abonnements import services
from abonnements.models import Renouvellement
from comptes.models import Utilisateur
from conventions.templatetags.format_fr import euros
from tarifs.selectors import grille_en_vigueur


def _date(valeur: str) -> datetime.date:
    for forme in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return datetime.datetime.strptime(valeur, forme).date()
        except ValueError:
            continue
    raise CommandError(f"Date illisible « {valeur} » (JJ/MM/AAAA).")


class Command(BaseCommand):
    help = "Prépare (ou simule) le renouvellement annuel des abonnements."

    def add_arguments(self, parser):
        parser.add_argument("--annee", type=int, required=True)
        parser.add_argument(
            "--date", help="date du renouvellement (défaut : 1er janvier)"
        )
        parser.add_argument("--emettre", action="store_true", help="émettre les devis")
        parser.add_argument(
            "--simulation", action="store_true", help="chiffrer sans rien écrire"
        )
        parser.add_argument(
            "--par",
            default="",
            help="adresse de l'agent (défaut : premier administrateur)",
        )

    def handle(self, *args, annee, date, emettre, simulation, par, **options):
        jour = _date(date) if date else services.date_par_defaut(annee)
        if simulation:
            return self._simuler(annee, jour)
        agent = self._agent(par)
        if grille_en_vigueur(jour) is None:
            raise CommandError(
                f"Aucune grille publiée n'est en vigueur le {jour:%d/%m/%Y} : "
                "publiez-en une avant de lancer le renouvellement."
            )
        campagne = Renouvellement.objects.create(
            annee=annee, date_renouvellement=jour, emettre=emettre, lance_par=agent
        )
        campagne = services.renouvellement_executer(campagne.pk)
        self.stdout.write(
            f"Renouvellement {annee} : {campagne.compte('cree')} créé(s), "
            f"{campagne.compte('inchange')} inchangé(s), "
            f"{campagne.compte('ignore')} ignoré(s), "
            f"{campagne.compte('echec')} en échec."
        )
        for ligne in campagne.rapport:
            if ligne["resultat"] in ("ignore", "echec"):
                self.stdout.write(f"  {ligne.get('nom', '—')} : {ligne['motif']}")

    def _simuler(self, annee, jour):
        try:
            simulation = services.renouvellement_simuler(annee=annee, jour=jour)
        except ValidationError as erreur:
            raise CommandError(" ".join(erreur.messages)) from None
        self.stdout.write(
            f"Simulation du renouvellement {annee} au {jour:%d/%m/%Y} : "
            f"{simulation.collectivites} collectivité(s), rien n'est écrit."
        )
        for emetteur in sorted(simulation.annuel):
            self.stdout.write(
                f"  {emetteur} : {simulation.devis[emetteur]} devis, "
                f"{euros(simulation.annuel[emetteur])} par an"
            )
        for nom, motif in simulation.ignorees:
            self.stdout.write(f"  ignorée — {nom} : {motif}")

    def _agent(self, adresse: str) -> Utilisateur:
        comptes = Utilisateur.objects.filter(is_active=True)
        agent = (
            comptes.filter(email__iexact=adresse).first()
            if adresse
            else comptes.filter(is_superuser=True).order_by("pk").first()
            or comptes.filter(role=Utilisateur.Role.AGENT).order_by("pk").first()
        )
        if agent is None:
            raise CommandError(
                "Aucun compte actif pour signer la campagne : indiquez --par ADRESSE."
            )
        return agent
