"""Entrées hostiles des comptes : connexion (avec et sans protection contre la
force brute), changement et réinitialisation du mot de passe (charges :
``tests.hostiles``)."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.tokens import default_token_generator
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from comptes.models import Utilisateur
from tests.hostiles import (
    TEXTES,
    compter,
    refus_en_francais,
    sans_faille,
)

pytestmark = pytest.mark.usefixtures("pdf_rapide")


# --- Connexion et mots de passe --------------------------------------------------


@pytest.mark.parametrize("champ", ["username", "password"])
def test_the_login_form_survives_hostile_text(client, alice_agent, champ):
    for valeur in TEXTES.values():
        donnees = {"username": "alice@cdg62.fr", "password": "faux", champ: valeur}
        avant = compter()
        refus_en_francais(client.post("/connexion/", donnees), avant)
        assert "_auth_user_id" not in client.session


@pytest.mark.axes
@pytest.mark.parametrize("cle", ["nul", "long_10k", "long_1M", "crlf", "script"])
def test_the_login_form_survives_hostile_text_with_brute_force_protection(
    client, alice_agent, cle
):
    for champ in ("username", "password"):
        donnees = {"username": "alice@cdg62.fr", "password": "faux", champ: TEXTES[cle]}
        reponse = client.post("/connexion/", donnees)
        sans_faille(reponse)
        assert reponse.status_code in (200, 403, 429)
    # Le journal des échecs (varchar 255) ne reçoit rien de trop long.
    assert all(len(a.username or "") <= 255 for a in AccessAttempt.objects.all())


@pytest.mark.parametrize("champ", ["old_password", "new_password1"])
def test_the_password_change_form_survives_hostile_text(agent, alice_agent, champ):
    for cle, valeur in TEXTES.items():
        donnees = {
            "old_password": "mot-de-passe-alice",
            "new_password1": "Un nouveau mot de passe solide 62",
            "new_password2": "Un nouveau mot de passe solide 62",
            champ: valeur,
        }
        if champ == "new_password1":
            donnees["new_password2"] = valeur
        avant = compter()
        mot_de_passe = Utilisateur.objects.get(pk=alice_agent.pk).password
        reponse = agent.post("/mot-de-passe/changer/", donnees)
        if reponse.status_code == 302:
            # Une phrase de passe longue ou faite de signes reste valable.
            assert champ == "new_password1" and cle not in ("nul", "nul_seul"), cle
            alice_agent.set_password("mot-de-passe-alice")
            alice_agent.save()
            agent.force_login(alice_agent)
            continue
        refus_en_francais(reponse, avant)
        assert Utilisateur.objects.get(pk=alice_agent.pk).password == mot_de_passe


def test_the_password_reset_form_survives_hostile_text(client, alice_agent, mailoutbox):
    for valeur in TEXTES.values():
        avant = compter()
        reponse = client.post("/mot-de-passe/reinitialisation/", {"email": valeur})
        if reponse.status_code != 302:  # 302 : adresse inconnue, réponse neutre
            refus_en_francais(reponse, avant)
    assert not mailoutbox


@pytest.mark.parametrize("cle", ["nul", "long_1M", "script", "vide", "espaces"])
def test_the_password_reset_confirmation_survives_hostile_text(
    client, alice_agent, cle
):
    uid = urlsafe_base64_encode(force_bytes(alice_agent.pk))
    jeton = default_token_generator.make_token(alice_agent)
    page = client.get(f"/mot-de-passe/reinitialisation/{uid}/{jeton}/")
    assert page.status_code == 302
    mot_de_passe = alice_agent.password
    reponse = client.post(
        page["Location"],
        {"new_password1": TEXTES[cle], "new_password2": TEXTES[cle]},
    )
    if reponse.status_code == 302:
        # Une phrase de passe longue, ou faite de signes, reste un mot de passe.
        assert cle in ("long_1M", "script")
        return
    refus_en_francais(reponse, compter())
    assert Utilisateur.objects.get(pk=alice_agent.pk).password == mot_de_passe


@pytest.mark.parametrize(
    "url",
    [
        "/mot-de-passe/reinitialisation/x\x00/y/",
        f"/mot-de-passe/reinitialisation/{'A' * 5000}/b/",
    ],
)
def test_a_hostile_reset_link_is_refused_without_error(client, db, url):
    reponse = client.get(url)
    sans_faille(reponse)
