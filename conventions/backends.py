"""Authentification : django-axes devant le backend standard, et l'utilisateur
des sessions gardé en cache."""

from __future__ import annotations

from axes.backends import AxesStandaloneBackend
from django.contrib.auth import backends
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save

# Filet de sécurité pour une écriture faite hors de l'ORM (``update()``), ou pour
# une lecture concurrente qui remettrait en cache, après la validation, le compte
# d'avant : au pire, un compte désactivé garde l'accès une minute.
DUREE_UTILISATEUR_SECONDES = 60


class AxesBackend(AxesStandaloneBackend):
    """Vérifie le verrouillage django-axes des connexions venues du web.

    Une authentification sans requête (code interne, tests) ne vient pas d'un
    navigateur : il n'y a rien à verrouiller, on laisse le backend suivant faire.
    """

    def authenticate(self, request=None, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username, password, **kwargs)


def cle_utilisateur(utilisateur_id) -> str:
    return f"utilisateur:{utilisateur_id}"


class ModelBackend(backends.ModelBackend):
    """Le backend standard ; l'utilisateur d'une session est lu dans le cache.

    Chaque page d'un utilisateur connecté relit son compte (actif ? mot de passe
    changé ?) : une requête SQL par page, la plus fréquente de l'application.
    Le compte est gardé tel que lu en base, avant tout usage, et oublié à chaque
    écriture (enregistrement, suppression : administration, changement de mot
    de passe, désactivation), tout de suite et à la validation de la transaction.
    La vérification de Django (empreinte du mot de passe dans la session) reste
    faite à chaque page, sur ce compte.
    """

    def get_user(self, user_id):
        cle = cle_utilisateur(user_id)
        utilisateur = cache.get(cle)
        if utilisateur is None:
            utilisateur = super().get_user(user_id)  # None si inactif ou absent
            if utilisateur is not None:
                cache.set(cle, utilisateur, DUREE_UTILISATEUR_SECONDES)
        return utilisateur


def oublier_utilisateur(sender, instance, **kwargs) -> None:
    cle = cle_utilisateur(instance.pk)
    cache.delete(cle)
    transaction.on_commit(lambda: cache.delete(cle))


def connecter() -> None:
    """Branche l'oubli sur les écritures des comptes (``ready`` de l'app)."""
    from conventions.models import Utilisateur

    for signal in (post_save, post_delete):
        signal.connect(
            oublier_utilisateur,
            sender=Utilisateur,
            dispatch_uid=f"oublier_utilisateur:{id(signal)}",
        )
