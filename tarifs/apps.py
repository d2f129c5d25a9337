from django.apps import AppConfig


class TarifsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "tarifs"
    verbose_name = "Grilles tarifaires"

    def ready(self):
        # Le contrôle de déploiement du rôle de base de données (gardes des
        # documents figés de toutes les applications) : enregistré une fois, ici,
        # par l'application la plus basse.
        from config import checks  # noqa: F401
