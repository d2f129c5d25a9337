from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from comptes.models import Utilisateur
from conventions.models import Adhesion, Collectivite, Convention, Organisme, Signature

MODELES = [
    "utilisateur",
    "collectivite",
    "organisme",
    "adhesion",
    "convention",
    "signature",
]


def _app(modele: str) -> str:
    return "comptes" if modele == "utilisateur" else "conventions"


@pytest.fixture
def donnees(grille_2024_14, charlie_portail):
    ruitz = Collectivite.objects.create(
        nom="Ruitz", code_insee="62999", population=1500
    )
    Organisme.objects.get_or_create(
        code="cdg", defaults={"nom": "CDG 62", "prefixe_numero": "CDG62"}
    )
    adhesion = Adhesion.objects.create(
        utilisateur=charlie_portail, collectivite=ruitz, role=Adhesion.Role.SIGNATAIRE
    )
    convention = Convention.objects.create(collectivite=ruitz, grille=grille_2024_14)
    signature = Signature.objects.create(
        convention=convention,
        partie=Signature.Partie.CDG,
        signataire_nom="Claude Exemple",
        signataire_qualite="Président",
        date=datetime.date(2024, 5, 2),
    )
    return {
        "utilisateur": charlie_portail,
        "collectivite": ruitz,
        "organisme": Organisme.objects.get(code="cdg"),
        "adhesion": adhesion,
        "convention": convention,
        "signature": signature,
    }


@pytest.mark.parametrize("modele", MODELES)
def test_every_changelist_opens_for_a_superuser(client, admin_user, donnees, modele):
    client.force_login(admin_user)

    reponse = client.get(reverse(f"admin:{_app(modele)}_{modele}_changelist"))

    assert reponse.status_code == 200


@pytest.mark.parametrize("modele", MODELES)
def test_every_change_page_opens_for_a_superuser(client, admin_user, donnees, modele):
    client.force_login(admin_user)

    reponse = client.get(
        reverse(f"admin:{_app(modele)}_{modele}_change", args=[donnees[modele].pk])
    )

    assert reponse.status_code == 200


@pytest.mark.parametrize(
    "modele", ["collectivite", "organisme", "adhesion", "convention", "signature"]
)
def test_history_is_shown_in_the_admin(client, admin_user, donnees, modele):
    client.force_login(admin_user)

    reponse = client.get(
        reverse(f"admin:conventions_{modele}_history", args=[donnees[modele].pk])
    )

    assert reponse.status_code == 200


def test_the_changelists_search_and_filter(client, admin_user, donnees):
    client.force_login(admin_user)

    collectivites = client.get(
        reverse("admin:conventions_collectivite_changelist"), {"q": "62999"}
    )
    utilisateurs = client.get(
        reverse("admin:comptes_utilisateur_changelist"), {"role": "portail"}
    )

    assert "Ruitz" in collectivites.text
    assert "charlie@mairie.fr" in utilisateurs.text


def test_the_user_add_form_creates_an_account_by_email(client, admin_user):
    client.force_login(admin_user)

    reponse = client.post(
        reverse("admin:comptes_utilisateur_add"),
        {
            "email": "Nouvel.Agent@CDG62.fr",
            "role": Utilisateur.Role.AGENT,
            "usable_password": "true",
            "password1": "un-mot-de-passe-solide-62",
            "password2": "un-mot-de-passe-solide-62",
        },
    )

    assert reponse.status_code == 302
    compte = Utilisateur.objects.get(email="nouvel.agent@cdg62.fr")
    assert compte.role == Utilisateur.Role.AGENT
    assert compte.check_password("un-mot-de-passe-solide-62")


def test_the_user_add_form_refuses_an_existing_email(client, admin_user):
    client.force_login(admin_user)

    reponse = client.post(
        reverse("admin:comptes_utilisateur_add"),
        {
            "email": "ADMIN@cdg62.fr",
            "role": Utilisateur.Role.AGENT,
            "usable_password": "true",
            "password1": "un-mot-de-passe-solide-62",
            "password2": "un-mot-de-passe-solide-62",
        },
    )

    assert reponse.status_code == 200
    assert "Un compte existe déjà avec cette adresse." in reponse.text


def test_the_signed_scan_is_never_linked_from_the_admin(client, admin_user, donnees):
    client.force_login(admin_user)
    convention = donnees["convention"]
    convention.scan.name = f"conventions/{convention.collectivite_id}/secret.pdf"
    convention.save()

    reponse = client.get(
        reverse("admin:conventions_convention_change", args=[convention.pk])
    )

    assert "secret.pdf" in reponse.text
    assert "/media/conventions/" not in reponse.text
