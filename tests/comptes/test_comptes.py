from __future__ import annotations

from comptes.models import Utilisateur


def test_users_log_in_with_their_email(client, alice_agent):
    reponse = client.post(
        "/connexion/", {"username": "Alice@CDG62.fr", "password": "mot-de-passe-alice"}
    )
    assert reponse.status_code == 302
    assert client.session["_auth_user_id"] == str(alice_agent.pk)


def test_a_wrong_password_gets_a_french_message(client, alice_agent):
    reponse = client.post(
        "/connexion/", {"username": "alice@cdg62.fr", "password": "x"}
    )
    assert reponse.status_code == 200
    assert "mot de passe incorrect" in reponse.text


def test_the_login_page_is_french(client, db):
    reponse = client.get("/connexion/")
    assert reponse.status_code == 200
    assert 'lang="fr"' in reponse.text


def test_logout_is_a_post(client, alice_agent):
    client.force_login(alice_agent)
    assert client.post("/deconnexion/").status_code == 302
    assert "_auth_user_id" not in client.session


def test_roles(db):
    agent = Utilisateur.objects.create_user("a@x.fr", "p", role=Utilisateur.Role.AGENT)
    portail = Utilisateur.objects.create_user("p@x.fr", "p")
    admin = Utilisateur.objects.create_superuser("s@x.fr", "p")
    assert agent.est_agent and admin.est_agent and admin.is_staff
    assert not portail.est_agent and portail.role == Utilisateur.Role.PORTAIL


def test_health_check_answers_after_querying_the_database(client, db):
    reponse = client.get("/sante")
    assert reponse.status_code == 200
    assert reponse.text == "ok\ncache : local"


def test_demo_data_refuses_to_load_without_debug(db, settings):
    import pytest
    from django.core.management import CommandError, call_command

    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("charger_demo")
    assert not Utilisateur.objects.filter(email="agent@demo.cdg62.fr").exists()
