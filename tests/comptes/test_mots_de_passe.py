from __future__ import annotations

import re


def test_a_user_changes_her_password(client, charlie_portail):
    client.force_login(charlie_portail)
    assert client.get("/mot-de-passe/changer/").status_code == 200
    reponse = client.post(
        "/mot-de-passe/changer/",
        {
            "old_password": "mot-de-passe-charlie",
            "new_password1": "Un-nouveau-secret-62",
            "new_password2": "Un-nouveau-secret-62",
        },
    )
    assert reponse.status_code == 302
    charlie_portail.refresh_from_db()
    assert charlie_portail.check_password("Un-nouveau-secret-62")


def test_a_wrong_current_password_is_refused_in_french(client, charlie_portail):
    client.force_login(charlie_portail)
    reponse = client.post(
        "/mot-de-passe/changer/",
        {
            "old_password": "faux",
            "new_password1": "Abc-123456-x",
            "new_password2": "Abc-123456-x",
        },
    )
    assert reponse.status_code == 200
    assert "ancien mot de passe est incorrect" in reponse.text


def test_the_password_change_needs_a_login(client, db):
    reponse = client.get("/mot-de-passe/changer/")
    assert reponse.status_code == 302 and "/connexion/" in reponse["Location"]


def test_a_forgotten_password_is_reset_through_an_emailed_link(
    client, charlie_portail, mailoutbox
):
    reponse = client.post(
        "/mot-de-passe/reinitialisation/", {"email": "charlie@mairie.fr"}
    )
    assert reponse.status_code == 302
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert "Réinitialisation" in message.subject
    lien = re.search(
        r"https?://[^/\s]+(/mot-de-passe/reinitialisation/\S+)", message.body
    )
    page = client.get(lien.group(1), follow=True)
    assert "Choisir un nouveau mot de passe" in page.text
    reponse = client.post(
        page.redirect_chain[-1][0],
        {"new_password1": "Tout-neuf-2024-62", "new_password2": "Tout-neuf-2024-62"},
    )
    assert reponse.status_code == 302
    charlie_portail.refresh_from_db()
    assert charlie_portail.check_password("Tout-neuf-2024-62")


def test_an_unknown_address_gets_the_same_answer_and_no_email(client, db, mailoutbox):
    reponse = client.post("/mot-de-passe/reinitialisation/", {"email": "x@y.fr"})
    assert reponse.status_code == 302
    assert mailoutbox == []
