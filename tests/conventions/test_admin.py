from __future__ import annotations

import datetime
import html

import pytest
from django.urls import reverse
from simple_history.utils import update_change_reason

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
    objet = donnees[modele]
    objet.save()
    update_change_reason(objet, "Vérification de l'historique")
    client.force_login(admin_user)

    reponse = client.get(
        reverse(f"admin:conventions_{modele}_history", args=[objet.pk])
    )

    texte = html.unescape(reponse.text)
    assert reponse.status_code == 200
    assert "Vérification de l'historique" in texte
    assert texte.count(str(objet)) >= 2  # le titre et chaque ligne d'historique


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


def test_the_admin_cannot_set_a_convention_state_by_hand(client, admin_user, donnees):
    """« Signée » avec une seule signature, « résiliée » → « signée » : l'admin
    ne saisit pas l'état, il renvoie au back office (et à ses services)."""
    client.force_login(admin_user)
    convention = donnees["convention"]
    url = reverse("admin:conventions_convention_change", args=[convention.pk])

    reponse = client.post(
        url,
        {
            "collectivite": convention.collectivite_id,
            "statut": Convention.Statut.SIGNEE,
            "grille": convention.grille_id,
            "date_effet": "2024-05-02",
        },
    )
    page = client.get(url)

    assert reponse.status_code == 403
    convention.refresh_from_db()
    assert convention.statut == Convention.Statut.BROUILLON
    assert 'name="statut"' not in page.text
    assert reverse("gestion:convention", args=[convention.pk]) in page.text


def test_the_admin_cannot_rewrite_or_delete_a_signature(client, admin_user, donnees):
    client.force_login(admin_user)
    signature = donnees["signature"]

    modifier = client.post(
        reverse("admin:conventions_signature_change", args=[signature.pk]),
        {"signataire_nom": "Faux", "partie": "cdg", "date": "2024-05-02"},
    )
    supprimer = client.post(
        reverse("admin:conventions_signature_delete", args=[signature.pk]),
        {"post": "yes"},
    )

    assert (modifier.status_code, supprimer.status_code) == (403, 403)
    signature.refresh_from_db()
    assert signature.signataire_nom == "Claude Exemple"


def test_a_user_who_created_a_document_cannot_be_deleted_only_deactivated(
    client, admin_user, donnees
):
    """Supprimer l'agent qui a créé une convention est refusé (le document
    garderait un auteur vide) ; l'admin le désactive à la place."""
    from django.db.models import ProtectedError

    agent = Utilisateur.objects.create_user(
        "agent@cdg62.fr", "mot-de-passe-agent", role=Utilisateur.Role.AGENT
    )
    Convention.objects.filter(pk=donnees["convention"].pk).update(creee_par=agent)
    client.force_login(admin_user)

    page = client.post(
        reverse("admin:comptes_utilisateur_delete", args=[agent.pk]), {"post": "yes"}
    )
    with pytest.raises(ProtectedError):
        agent.delete()
    client.post(
        reverse("admin:comptes_utilisateur_changelist"),
        {"action": "desactiver", "_selected_action": [agent.pk]},
    )

    assert page.status_code == 200
    assert "Désactivez" in page.text
    agent.refresh_from_db()
    assert agent.is_active is False
    assert Convention.objects.get(pk=donnees["convention"].pk).creee_par == agent
