from django.apps import AppConfig


class AbonnementsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "abonnements"
    verbose_name = "Abonnements et renouvellements"

    def ready(self):
        # L'inventaire s'écrit dans la transaction de l'acceptation (devis) :
        # devis émet le signal, l'application du dessus le reçoit.
        from abonnements import services
        from devis.signals import devis_accepte

        devis_accepte.connect(
            services.inventaire_enregistrer, dispatch_uid="inventaire_enregistrer"
        )
