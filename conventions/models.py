from __future__ import annotations

from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models


class UtilisateurManager(BaseUserManager):
    """Gestionnaire des comptes identifiés par leur adresse électronique."""

    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra):
        if not email:
            raise ValueError("L'adresse électronique est obligatoire.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra):
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        extra.setdefault("role", Utilisateur.Role.ADMIN)
        return self._create_user(email, password, **extra)


class Utilisateur(AbstractUser):
    """Compte de l'application : l'adresse électronique sert d'identifiant.

    Trois rôles : agent du CDG (back office ``/gestion/``), utilisateur du portail
    (secrétaire de mairie, rattaché à des collectivités) et administrateur
    (administration Django).
    """

    class Role(models.TextChoices):
        AGENT = "agent", "Agent du CDG"
        PORTAIL = "portail", "Utilisateur du portail"
        ADMIN = "admin", "Administrateur"

    username = None
    email = models.EmailField("adresse électronique", unique=True)
    role = models.CharField(
        "rôle", max_length=10, choices=Role.choices, default=Role.PORTAIL
    )

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UtilisateurManager()

    class Meta:
        verbose_name = "utilisateur"
        verbose_name_plural = "utilisateurs"
        ordering = ["email"]

    def __str__(self) -> str:
        nom = self.get_full_name()
        return f"{nom} <{self.email}>" if nom else self.email

    @property
    def est_agent(self) -> bool:
        """Les agents du CDG et les administrateurs accèdent au back office."""
        return self.is_active and (
            self.role in (self.Role.AGENT, self.Role.ADMIN) or self.is_superuser
        )


class Collectivite(models.Model):
    """Une collectivité ou un établissement public du Pas-de-Calais.

    Sa catégorie (tableau 2 de la grille) se déduit de sa population totale
    (communes, EPCI) ou de son nombre d'agents ; un agent du CDG peut la forcer
    en donnant un motif.
    """

    class Type(models.TextChoices):
        COMMUNE = "commune", "Commune"
        EPCI = "epci", "EPCI (communauté de communes ou d'agglomération)"
        CCAS = "ccas", "CCAS / CIAS"
        SYNDICAT = "syndicat", "Syndicat"
        AUTRE = "autre", "Autre établissement public"

    type = models.CharField(max_length=10, choices=Type.choices, default=Type.COMMUNE)
    nom = models.CharField(max_length=200)
    siren = models.CharField("SIREN", max_length=9, blank=True)
    siret = models.CharField("SIRET", max_length=14, blank=True)
    code_insee = models.CharField("code INSEE", max_length=5, blank=True)
    adresse = models.CharField(max_length=300, blank=True)
    code_postal = models.CharField("code postal", max_length=5, blank=True)
    ville = models.CharField(max_length=100, blank=True)
    population = models.PositiveIntegerField("population totale", null=True, blank=True)
    population_annee = models.PositiveSmallIntegerField(
        "année de la population", null=True, blank=True
    )
    agents = models.PositiveIntegerField("nombre d'agents", null=True, blank=True)
    agents_date = models.DateField("nombre d'agents au", null=True, blank=True)
    emails_contact = models.CharField(
        "adresses électroniques de contact",
        max_length=500,
        blank=True,
        help_text="Une ou plusieurs adresses, séparées par des virgules.",
    )
    telephone = models.CharField("téléphone", max_length=20, blank=True)
    categorie_forcee = models.CharField("catégorie forcée", max_length=2, blank=True)
    categorie_forcee_motif = models.TextField("motif du forçage", blank=True)
    creee_le = models.DateTimeField("créée le", auto_now_add=True)

    class Meta:
        verbose_name = "collectivité"
        verbose_name_plural = "collectivités"
        ordering = ["nom"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(categorie_forcee="")
                | ~models.Q(categorie_forcee_motif=""),
                name="collectivite_forcage_motive",
                violation_error_message=(
                    "Un motif est obligatoire pour forcer la catégorie."
                ),
            ),
        ]

    def __str__(self) -> str:
        return self.nom
