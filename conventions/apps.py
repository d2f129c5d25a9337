from django.apps import AppConfig


class ConventionsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "conventions"
    verbose_name = "Conventions et collectivités"

    def ready(self):
        from conventions import backends, cache_portail, checks  # noqa: F401

        cache_portail.connecter()
        backends.connecter()
