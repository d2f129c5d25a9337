"""L'historique de chaque changement (django-simple-history) : un prix d'une
grille en brouillon, sa publication, le rôle d'un compte, le rôle d'un
rattachement, une demande de devis ; chaque ligne dit qui l'a fait et quand,
l'agent la lit sur la page de l'objet (l'administrateur dans
l'administration), et l'historique des comptes ne garde jamais le mot de
passe."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django import forms
from django.urls import reverse

from comptes.models import Utilisateur
from conventions.models import Adhesion
from conventions.selectors import journal_des_rattachements
from devis.models import DemandeDevis
from tarifs.models import GrilleTarifaire, Tarif, TarifCategorie
from tarifs.services import grille_dupliquer

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_admin(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.fixture
def brouillon_de_grille(grille_2024_14):
    """Une nouvelle version (brouillon) de la grille 2024/14, effet en 2025."""
    copie = grille_dupliquer(grille=grille_2024_14)
    copie.date_effet = date(2025, 1, 1)
    copie.save()
    return copie


def _formulaire_admin(page) -> dict:
    """Les données qu'un formulaire d'administration renverrait tel qu'affiché
    (formulaire principal et formulaires en ligne)."""
    donnees = {}
    formulaires = [page.context["adminform"].form]
    for en_ligne in page.context["inline_admin_formsets"]:
        jeu = en_ligne.formset
        for nom, valeur in jeu.management_form.initial.items():
            donnees[f"{jeu.prefix}-{nom}"] = valeur
        formulaires += jeu.forms
    for formulaire in formulaires:
        for nom, champ in formulaire.fields.items():
            valeur = formulaire[nom].value()
            cle = formulaire.add_prefix(nom)
            if valeur is None or valeur is False:
                continue
            if isinstance(champ.widget, forms.MultiWidget):  # date et heure
                for rang, part in enumerate(champ.widget.decompress(valeur)):
                    donnees[f"{cle}_{rang}"] = part
            else:
                donnees[cle] = "on" if valeur is True else valeur
    return donnees


def _modifier_dans_l_admin(client, url: str, **changements) -> None:
    page = client.get(url)
    assert page.status_code == 200
    reponse = client.post(url, {**_formulaire_admin(page), **changements})
    assert reponse.status_code == 302, reponse.context["adminform"].form.errors


# --- Grilles et tarifs ---------------------------------------------------------


def test_loading_a_grid_records_the_creation_of_every_line(grille_2024_14):
    """Le chargement crée chaque ligne par ``create()`` : chacune a sa ligne
    d'historique « création » ; la publication en ajoute une à la grille."""
    tarifs = Tarif.objects.filter(prestation__grille=grille_2024_14)
    creations = Tarif.history.filter(
        prestation_id__in=tarifs.values("prestation_id"), history_type="+"
    )
    assert creations.count() == tarifs.count()
    types = list(
        grille_2024_14.history.order_by("history_date").values_list(
            "history_type", "statut"
        )
    )
    assert types == [("+", "brouillon"), ("~", "publiee")]


def test_changing_a_price_on_a_draft_grid_records_who_did_it(
    client_admin, admin_user, brouillon_de_grille
):
    tarif = Tarif.objects.filter(
        prestation__grille=brouillon_de_grille, calcul=Tarif.Calcul.UNITAIRE
    ).first()
    ancien = tarif.prix_unitaire

    _modifier_dans_l_admin(
        client_admin,
        reverse("admin:tarifs_tarif_change", args=[tarif.pk]),
        prix_unitaire="123.45",
    )

    dernier = tarif.history.latest()
    assert dernier.history_type == "~"
    assert dernier.history_user == admin_user
    assert dernier.prix_unitaire == Decimal("123.45")
    assert dernier.prev_record.prix_unitaire == ancien


def test_a_price_per_category_changed_inline_is_in_the_grid_history(
    client_admin, admin_user, brouillon_de_grille
):
    """Un montant par catégorie (formulaire en ligne du tarif) : son historique
    porte l'auteur, et la page « Historique » de la grille le montre, avec le
    tarif et la catégorie nommés."""
    montant = (
        TarifCategorie.objects.filter(
            tarif__prestation__grille=brouillon_de_grille, montant__isnull=False
        )
        .select_related("tarif__prestation", "categorie")
        .first()
    )
    tarif = montant.tarif
    page = client_admin.get(reverse("admin:tarifs_tarif_change", args=[tarif.pk]))
    donnees = _formulaire_admin(page)
    rang = next(
        cle.removesuffix("-id")
        for cle, valeur in donnees.items()
        if cle.endswith("-id") and str(valeur) == str(montant.pk)
    )

    reponse = client_admin.post(
        reverse("admin:tarifs_tarif_change", args=[tarif.pk]),
        {**donnees, f"{rang}-montant": "999.99"},
    )

    assert reponse.status_code == 302
    assert montant.history.latest().history_user == admin_user
    historique = client_admin.get(
        reverse("admin:tarifs_grilletarifaire_history", args=[brouillon_de_grille.pk])
    )
    assert historique.status_code == 200
    texte = historique.content.decode()
    assert "Historique des lignes de la grille" in texte
    assert (
        f"Tarif {tarif.prestation.code} · {tarif.get_emetteur_display()}, "
        f"catégorie {montant.categorie.code}" in texte
    )
    assert "999,99" in texte
    assert admin_user.email in texte


def test_publishing_a_draft_grid_records_who_published_it(
    client_admin, admin_user, brouillon_de_grille
):
    reponse = client_admin.post(
        reverse("admin:tarifs_grilletarifaire_changelist"),
        {
            "action": "publier",
            "_selected_action": [brouillon_de_grille.pk],
            "confirmer": "oui",
        },
        follow=True,
    )

    assert reponse.status_code == 200
    dernier = brouillon_de_grille.history.latest()
    assert dernier.statut == GrilleTarifaire.Statut.PUBLIEE
    assert dernier.history_user == admin_user


def test_a_published_grid_cannot_be_reverted_from_its_history(
    client_admin, grille_2024_14
):
    """Le formulaire d'une version passée (simple_history) d'une grille publiée
    se consulte mais ne s'enregistre pas : refus, la grille ne bouge pas."""
    premiere = grille_2024_14.history.earliest()
    url = reverse(
        "admin:tarifs_grilletarifaire_simple_history",
        args=[grille_2024_14.pk, premiere.history_id],
    )

    assert client_admin.get(url).status_code == 200
    assert client_admin.post(url, {}).status_code == 403
    grille_2024_14.refresh_from_db()
    assert grille_2024_14.statut == GrilleTarifaire.Statut.PUBLIEE


# --- Comptes et rattachements --------------------------------------------------


def test_changing_a_users_role_records_who_did_it_without_the_password(
    client_admin, admin_user, charlie_portail
):
    _modifier_dans_l_admin(
        client_admin,
        reverse("admin:comptes_utilisateur_change", args=[charlie_portail.pk]),
        role=Utilisateur.Role.AGENT,
    )

    dernier = charlie_portail.history.latest()
    assert dernier.role == Utilisateur.Role.AGENT
    assert dernier.prev_record.role == Utilisateur.Role.PORTAIL
    assert dernier.history_user == admin_user
    champs = {champ.name for champ in Utilisateur.history.model._meta.fields}
    assert "password" not in champs and "last_login" not in champs
    empreinte = Utilisateur.objects.get(pk=charlie_portail.pk).password
    for ligne in Utilisateur.history.values():
        assert empreinte not in {str(valeur) for valeur in ligne.values()}
    historique = client_admin.get(
        reverse("admin:comptes_utilisateur_history", args=[charlie_portail.pk])
    )
    assert historique.status_code == 200
    assert empreinte not in historique.content.decode()


def test_logging_in_adds_no_history_line(client, charlie_portail):
    avant = charlie_portail.history.count()

    assert client.login(email="charlie@mairie.fr", password="mot-de-passe-charlie")

    assert Utilisateur.objects.get(pk=charlie_portail.pk).last_login is not None
    assert charlie_portail.history.count() == avant


def test_a_new_password_leaves_no_hash_and_no_empty_line_for_the_agent(ruitz, sophie):
    """Un nouveau mot de passe : une ligne d'historique (l'administration la
    montre), sans l'empreinte ; le journal de l'agent n'en fait pas une ligne
    vide."""
    avant = sophie.history.count()
    sophie.set_password("un-tout-nouveau-mot-de-passe")
    sophie.save()

    assert sophie.history.count() == avant + 1
    for ligne in Utilisateur.history.values():
        assert sophie.password not in {str(valeur) for valeur in ligne.values()}
    lignes = journal_des_rattachements(ruitz)
    assert all(ligne["changements"] for ligne in lignes if ligne["type"] == "~")


def test_changing_a_membership_role_is_shown_to_the_agent(
    client_admin, admin_user, alice_agent, ruitz, sophie
):
    """Le rôle de Sophie pour Ruitz passe de signataire à consultation dans
    l'administration ; la fiche de Ruitz (back office) dit qui, quand."""
    admin_user.first_name, admin_user.last_name = "Ada", "Admin"
    admin_user.save()
    adhesion = Adhesion.objects.get(utilisateur=sophie, collectivite=ruitz)
    _modifier_dans_l_admin(
        client_admin,
        reverse("admin:conventions_adhesion_change", args=[adhesion.pk]),
        role=Adhesion.Role.CONSULTATION,
    )
    assert adhesion.history.latest().history_user == admin_user

    client_admin.force_login(alice_agent)
    page = client_admin.get(reverse("gestion:collectivite", args=[ruitz.pk]))

    texte = page.content.decode()
    assert "Historique des rattachements et des comptes" in texte
    assert "Rattachement de sophie@mairie-ruitz.fr" in texte
    assert "Signataire (peut accepter un devis) → Consultation" in texte
    assert "Ada Admin" in texte
    assert "Compte sophie@mairie-ruitz.fr" in texte


# --- Demandes de devis ---------------------------------------------------------


def test_changing_a_demande_records_the_agent_and_shows_it_on_the_devis(
    agent, alice_agent, brouillon_fibre
):
    demande = brouillon_fibre.demande
    reponse = agent.post(
        reverse("devis:demande_modifier", args=[demande.pk]),
        {
            "quantite_messagerie-5go": "5",
            "quantite_cle-1an-cdg": "1",
            "action": "enregistrer",
        },
    )
    assert reponse.status_code == 302

    dernier = DemandeDevis.history.filter(id=demande.pk).latest()
    assert dernier.history_type == "~"
    assert dernier.history_user == alice_agent
    page = agent.get(reverse("devis:detail", args=[brouillon_fibre.pk]))
    texte = page.content.decode()
    assert f"Historique de la demande n°{demande.pk}" in texte
    assert (
        "messagerie-5go × 3, cle-1an-cdg × 1 → messagerie-5go × 5, cle-1an-cdg × 1"
        in texte
    )
    assert "alice@cdg62.fr" in texte


def test_a_demande_cannot_be_reverted_from_the_admin(client_admin, brouillon_fibre):
    """L'administration des demandes est en lecture seule : le formulaire d'une
    version passée ne s'enregistre pas."""
    demande = brouillon_fibre.demande
    premiere = demande.history.earliest()
    historique = reverse("admin:devis_demandedevis_history", args=[demande.pk])
    url = reverse(
        "admin:devis_demandedevis_simple_history",
        args=[demande.pk, premiere.history_id],
    )

    assert client_admin.get(historique).status_code == 200
    assert client_admin.post(url, {}).status_code == 403
