"""Échec CSRF : connexion dans un autre onglet, page expirée en français."""

from __future__ import annotations

from django.test import Client

BON = {"username": "alice@cdg62.fr", "password": "mot-de-passe-alice"}


def test_connexion_deja_faite_dans_un_autre_onglet_redirige_vers_l_accueil(
    alice_agent,
):
    client = Client(enforce_csrf_checks=True)
    client.get("/connexion/")
    client.force_login(alice_agent)  # l'autre onglet : nouveau jeton CSRF
    reponse = client.post("/connexion/", {**BON, "csrfmiddlewaretoken": "perime"})
    assert reponse.status_code == 302
    assert reponse["Location"] == "/"
    suite = client.get("/", follow=True)
    assert "déjà connecté" in suite.text


def test_jeton_perime_sans_session_donne_une_page_403_francaise_stylee(db):
    client = Client(enforce_csrf_checks=True)
    reponse = client.post("/connexion/", {**BON, "csrfmiddlewaretoken": "perime"})
    assert reponse.status_code == 403
    assert "La page a expiré" in reponse.text
    assert 'href="/connexion/"' in reponse.text
    assert "<link" in reponse.text  # étend base.html : feuille de style du site


def test_jeton_perime_hors_connexion_ne_redirige_pas_un_utilisateur_connecte(
    alice_agent,
):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice_agent)
    reponse = client.post("/deconnexion/", {"csrfmiddlewaretoken": "perime"})
    assert reponse.status_code == 403
    assert "La page a expiré" in reponse.text
