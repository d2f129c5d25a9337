"""Accueil du portail mis en cache : servi sans requête tant que rien d'affiché
n'a changé, recalculé dès qu'une donnée affichée change (écriture, jour).

Tout le module tourne sur le cache en mémoire et, s'il répond, sur Redis (le
cache partagé de la production).
"""

from __future__ import annotations

import datetime
import os
import subprocess
import sys
import uuid
from unittest import mock

import pytest
from django.conf import settings as reglages
from django.contrib.messages import constants
from django.contrib.messages.storage.base import Message
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.cache import cache
from django.core.checks import run_checks
from django.test import Client, RequestFactory

from conventions import cache_portail
from conventions.models import Adhesion
from conventions.services import convention_resilier
from devis.models import Devis
from tests.conventions import test_portail as portail
from tests.factories import AdhesionFactory, UtilisateurFactory

stockage_prive_temporaire = portail.stockage_prive_temporaire
pdf_rapide = portail.pdf_rapide
monde = portail.monde
lu = portail.lu

REDIS = os.environ.get("REDIS_URL_TESTS", "redis://127.0.0.1:6379/14")
ACCORD = {
    "acceptation-signataire_nom": "Jeanne Dupont",
    "acceptation-signataire_qualite": "Maire",
    "acceptation-engagement": "on",
}


def redis_repond() -> bool:
    try:
        import redis

        return redis.Redis.from_url(REDIS, socket_connect_timeout=0.5).ping()
    except Exception:
        return False


@pytest.fixture(autouse=True, params=["memoire", "redis"])
def sorte_de_cache(request, settings):
    if request.param == "redis":
        if not redis_repond():
            pytest.skip(f"Redis ne répond pas sur {REDIS}")
        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": REDIS,
                # Un préfixe par test : rien de partagé avec un autre test.
                "KEY_PREFIX": f"tests-{uuid.uuid4().hex}",
            }
        }
    yield request.param
    cache.clear()


def jeton_csrf(page: str) -> str:
    debut = page.index('name="csrfmiddlewaretoken" value="') + 34
    return page[debut : page.index('"', debut)]


def contenu(reponse) -> str:
    texte = reponse.content.decode()
    return texte[texte.index("<main") : texte.index("</main>")]


def en_attente_de(reponse, nom: str) -> str:
    """Le nombre affiché de devis en attente pour la collectivité ``nom``."""
    texte = lu(reponse)
    carte = texte[texte.index(f">{nom}</a>") :]
    bloc = carte[carte.index("Devis en attente de votre réponse") :]
    valeur = bloc[bloc.index('<dd class="col-6">') + 18 : bloc.index("</dd>")]
    return "aucun" if valeur == "aucun" else valeur.split(">")[1].split("<")[0]


def test_a_second_visit_is_served_from_the_cache_without_queries(
    client, monde, django_assert_max_num_queries
):
    client.force_login(monde.sophie)
    premiere = client.get("/portail/")
    # Seules restent la session et l'utilisateur (avec un cache partagé, la
    # session elle-même est lue dans le cache).
    with django_assert_max_num_queries(2):
        seconde = client.get("/portail/")
    assert seconde.status_code == 200
    # Le même contenu (le jeton CSRF de l'en-tête, lui, change à chaque page).
    assert contenu(seconde) == contenu(premiere)
    assert en_attente_de(seconde, "Ruitz") == "2"


def test_accepting_a_devis_updates_the_count_at_once(client, monde):
    client.force_login(monde.sophie)
    assert en_attente_de(client.get("/portail/"), "Ruitz") == "2"
    client.post(f"/portail/{monde.ruitz.pk}/devis/{monde.fibre.pk}/accepter", ACCORD)
    assert Devis.objects.get(pk=monde.fibre.pk).statut == Devis.Statut.ACCEPTE
    assert en_attente_de(client.get("/portail/"), "Ruitz") == "1"


def test_an_agent_action_in_another_session_shows_at_once(client, monde):
    client.force_login(monde.sophie)
    assert "Signée (en vigueur)" in lu(client.get("/portail/"))
    convention_resilier(
        convention=monde.convention,
        date=datetime.date(2026, 1, 1),
        motif="Fusion de communes",
        par=monde.alice,
    )
    texte = lu(client.get("/portail/"))
    assert "Résiliée" in texte


def test_a_new_membership_appears_and_a_removed_one_disappears(client, monde):
    client.force_login(monde.sophie)
    assert "Beuvry" not in lu(client.get("/portail/"))
    AdhesionFactory(utilisateur=monde.sophie, collectivite=monde.beuvry)
    assert "Beuvry" in lu(client.get("/portail/"))
    Adhesion.objects.filter(utilisateur=monde.sophie).exclude(
        collectivite=monde.ruitz
    ).delete()
    reponse = client.get("/portail/")
    assert reponse.status_code == 302
    assert reponse["Location"] == f"/portail/{monde.ruitz.pk}/"


def test_a_renamed_collectivite_shows_its_new_name(client, monde):
    client.force_login(monde.sophie)
    client.get("/portail/")
    monde.quercamps.nom = "Quercamps-sur-Aa"
    monde.quercamps.save()
    assert "Quercamps-sur-Aa" in lu(client.get("/portail/"))


def test_a_devis_past_its_validity_leaves_the_count_the_next_day(client, monde):
    client.force_login(monde.sophie)
    assert en_attente_de(client.get("/portail/"), "Ruitz") == "2"
    lendemain = monde.fibre.date_validite + datetime.timedelta(days=1)
    with mock.patch("django.utils.timezone.localdate", return_value=lendemain):
        assert en_attente_de(client.get("/portail/"), "Ruitz") == "aucun"


def test_a_user_made_staff_gets_a_header_with_the_admin_link(client, monde):
    client.force_login(monde.sophie)
    assert "/admin/" not in lu(client.get("/portail/"))
    monde.sophie.is_staff = True
    monde.sophie.save()
    assert 'href="/admin/"' in lu(client.get("/portail/"))


def test_each_user_gets_her_own_home(client, monde):
    client.force_login(monde.sophie)
    client.get("/portail/")
    autre = UtilisateurFactory(email="zoe@mairie-beuvry.fr")
    AdhesionFactory(utilisateur=autre, collectivite=monde.beuvry)
    AdhesionFactory(utilisateur=autre, collectivite=monde.quercamps)
    zoe = Client()
    zoe.force_login(autre)
    texte = lu(zoe.get("/portail/"))
    assert "Beuvry" in texte and "Ruitz" not in texte
    assert "Ruitz" in lu(client.get("/portail/"))


def test_the_kept_page_gets_a_fresh_working_csrf_token_at_each_visit(monde):
    navigateur = Client(enforce_csrf_checks=True)
    navigateur.force_login(monde.sophie)
    premiere = navigateur.get("/portail/").content.decode()
    seconde = navigateur.get("/portail/").content.decode()
    assert cache_portail.MARQUE_CSRF not in premiere + seconde
    jetons = [jeton_csrf(premiere), jeton_csrf(seconde)]
    assert jetons[0] != jetons[1]  # masqué différemment à chaque page
    reponse = navigateur.post("/deconnexion/", {"csrfmiddlewaretoken": jetons[1]})
    assert reponse.status_code == 302
    assert navigateur.get("/portail/")["Location"].startswith("/connexion/")


def test_a_waiting_message_is_shown_once_and_never_kept(client, monde):
    client.force_login(monde.sophie)
    client.get("/portail/")  # la page est gardée
    client.cookies["messages"] = CookieStorage(RequestFactory().get("/"))._encode(
        [Message(constants.SUCCESS, "Mot de passe modifié.")]
    )
    avec_message = lu(client.get("/portail/"))
    assert "Mot de passe modifié." in avec_message and "Quercamps" in avec_message
    sans_message = lu(client.get("/portail/"))
    assert "Mot de passe modifié." not in sans_message and "Quercamps" in sans_message


def test_a_user_without_membership_gets_the_contact_message_from_the_cache(client, db):
    client.force_login(UtilisateurFactory(email="orpheline@mairie.fr"))
    for _ in range(2):
        assert "contactez le CDG 62" in lu(client.get("/portail/"))


def test_what_a_reader_cached_before_the_commit_is_discarded_after_it(
    db, django_capture_on_commit_callbacks
):
    utilisateur = UtilisateurFactory()
    with django_capture_on_commit_callbacks(execute=True):
        cache_portail.invalider()
        # Une lecture concurrente, qui voit encore l'état d'avant la validation.
        assert cache_portail.memoriser("essai", utilisateur, lambda: "avant") == "avant"
    assert cache_portail.memoriser("essai", utilisateur, lambda: "après") == "après"
    assert cache_portail.memoriser("essai", utilisateur, lambda: "encore") == "après"


def test_a_lost_generation_invalidates_everything(db):
    utilisateur = UtilisateurFactory()
    assert cache_portail.memoriser("essai", utilisateur, lambda: "avant") == "avant"
    cache.delete(cache_portail.CLE_GENERATION)
    assert cache_portail.memoriser("essai", utilisateur, lambda: "après") == "après"


def test_production_checks_require_a_shared_cache(sorte_de_cache):
    alertes = [m.id for m in run_checks(include_deployment_checks=True)]
    if sorte_de_cache == "redis":
        assert "cdg62.W001" not in alertes
    else:
        assert "cdg62.W001" in alertes


@pytest.mark.parametrize(
    "url, moteur",
    [
        ("", "django.contrib.sessions.backends.db"),
        ("redis://127.0.0.1:6379/1", "django.contrib.sessions.backends.cached_db"),
    ],
)
def test_sessions_use_the_cache_only_when_it_is_shared(url, moteur):
    env = {**os.environ, "CACHE_URL": url, "DJANGO_SETTINGS_MODULE": "config.settings"}
    if not url:
        env.pop("CACHE_URL")
    sortie = subprocess.run(
        [
            sys.executable,
            "-c",
            "from django.conf import settings as s; print(s.SESSION_ENGINE)",
        ],
        cwd=reglages.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert sortie == moteur
