"""Données de démonstration de ``make run`` — l'unique endroit où elles vivent."""

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from comptes.models import Utilisateur
from conventions import demo as demo_conventions
from devis import demo as demo_devis
from facturation import demo as demo_facturation

COMPTES_DEMO = [
    # (adresse, mot de passe, rôle, superutilisateur, prénom, nom)
    (
        "admin@demo.cdg62.fr",
        "demo-admin-62",
        Utilisateur.Role.ADMIN,
        True,
        "Alice",
        "Admin",
    ),
    (
        "agent@demo.cdg62.fr",
        "demo-agent-62",
        Utilisateur.Role.AGENT,
        False,
        "Bruno",
        "Agent",
    ),
]


class Command(BaseCommand):
    help = "Charge les données de démonstration (refusé si DEBUG est désactivé)."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError(
                "Les données de démonstration ne se chargent qu'avec DEBUG activé "
                "(jamais en production)."
            )
        call_command("charger_grille", stdout=self.stdout)
        # Les communes de la démonstration sont celles du référentiel officiel.
        call_command("charger_referentiel", stdout=self.stdout)
        with transaction.atomic():
            for email, mot_de_passe, role, superuser, prenom, nom in COMPTES_DEMO:
                compte, _ = Utilisateur.objects.get_or_create(email=email)
                compte.role = role
                compte.first_name, compte.last_name = prenom, nom
                compte.is_superuser = compte.is_staff = superuser
                compte.is_active = True
                compte.set_password(mot_de_passe)
                compte.save()
            # Chaque module renvoie ses comptes (adresse, mot de passe, rôle).
            comptes = list(demo_conventions.charger(self.stdout) or [])
            comptes += list(demo_devis.charger(self.stdout) or [])
            demo_facturation.charger(self.stdout)
        self.stdout.write(self.style.SUCCESS("Données de démonstration chargées."))
        self.stdout.write("Comptes de démonstration :")
        for email, mot_de_passe, role, *_ in COMPTES_DEMO:
            self.stdout.write(f"  {email} / {mot_de_passe}  ({role.label})")
        for email, mot_de_passe, description in comptes:
            self.stdout.write(f"  {email} / {mot_de_passe}  ({description})")
