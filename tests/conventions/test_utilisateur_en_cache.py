"""Le compte d'un utilisateur connecté est lu dans le cache, et oublié dès qu'il
change : une désactivation ou un nouveau mot de passe valent à la page suivante."""

from __future__ import annotations

import pytest
from django.contrib.auth import BACKEND_SESSION_KEY
from django.core.cache import cache
from django.test import Client

from conventions.backends import cle_utilisateur
from conventions.models import Utilisateur


@pytest.fixture
def sophie(db):
    return Utilisateur.objects.create_user(
        "sophie@mairie-ruitz.fr", "mot-de-passe-sophie"
    )


def connecte(utilisateur) -> Client:
    client = Client()
    assert client.login(username=utilisateur.email, password="mot-de-passe-sophie")
    return client


def test_a_real_login_goes_through_the_caching_backend(sophie):
    client = connecte(sophie)
    assert client.session[BACKEND_SESSION_KEY] == "conventions.backends.ModelBackend"


def test_the_account_is_read_once_then_from_the_cache(
    sophie, django_assert_num_queries
):
    client = connecte(sophie)
    client.get("/mot-de-passe/changer/")
    assert cache.get(cle_utilisateur(sophie.pk)) == sophie
    # Ne reste que la lecture de la session (en base sans cache partagé).
    with django_assert_num_queries(1):
        assert client.get("/mot-de-passe/changer/").status_code == 200


def test_a_deactivated_account_is_signed_out_at_the_next_page(sophie):
    client = connecte(sophie)
    assert client.get("/mot-de-passe/changer/").status_code == 200
    sophie.is_active = False
    sophie.save()
    reponse = client.get("/mot-de-passe/changer/")
    assert reponse.status_code == 302
    assert reponse["Location"].startswith("/connexion/")


def test_a_new_password_signs_out_the_other_sessions(sophie):
    ailleurs = connecte(sophie)
    assert ailleurs.get("/mot-de-passe/changer/").status_code == 200
    sophie.set_password("un-tout-nouveau-mot-de-passe")
    sophie.save()
    assert ailleurs.get("/mot-de-passe/changer/")["Location"].startswith("/connexion/")


def test_a_deleted_account_is_signed_out(sophie):
    client = connecte(sophie)
    client.get("/mot-de-passe/changer/")
    sophie.delete()
    assert client.get("/mot-de-passe/changer/")["Location"].startswith("/connexion/")


def test_a_changed_address_shows_at_once(sophie):
    client = connecte(sophie)
    client.get("/mot-de-passe/changer/")
    sophie.email = "sophie.martin@mairie-ruitz.fr"
    sophie.save()
    assert "sophie.martin@mairie-ruitz.fr" in client.get("/mot-de-passe/changer/").text


def test_a_stale_copy_cached_before_the_commit_is_dropped_after_it(
    sophie, django_capture_on_commit_callbacks
):
    ancien = Utilisateur.objects.get(pk=sophie.pk)
    with django_capture_on_commit_callbacks(execute=True):
        sophie.is_active = False
        sophie.save()
        # Une lecture concurrente garde le compte tel qu'avant la validation.
        cache.set(cle_utilisateur(sophie.pk), ancien, 60)
    assert cache.get(cle_utilisateur(sophie.pk)) is None
