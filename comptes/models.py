"""Comptes de l'application : l'utilisateur, identifié par son adresse
électronique, et son rôle (agent du CDG, utilisateur du portail,
administrateur)."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from simple_history.models import HistoricalRecords


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


class HistoriqueDesComptes(HistoricalRecords):
    """L'historique d'un compte, sans ce qui ne s'y lit pas.

    Les champs exclus ne sont pas copiés (jamais d'empreinte de mot de passe
    dans une table historique) ; un enregistrement qui ne touche que des champs
    exclus (la date de connexion que Django écrit à chaque connexion, un
    ré-hachage du mot de passe) n'ajoute pas de ligne vide à l'historique.
    """

    def post_save(self, instance, created, using=None, **kwargs):
        champs = kwargs.get("update_fields")
        if not created and champs and set(champs) <= set(self.excluded_fields):
            return
        super().post_save(instance, created, using=using, **kwargs)


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
    # Qui a changé un rôle, une adresse, l'état actif, quand.
    history = HistoriqueDesComptes(excluded_fields=["password", "last_login"])

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
