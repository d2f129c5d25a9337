from __future__ import annotations

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from conventions.models import Collectivite, Convention, Signature
from tests.factories import (
    AdhesionFactory,
    CollectiviteFactory,
    ConventionFactory,
    SignatureFactory,
    pdf_octets,
    siren_valide,
    siret_valide,
)

Statut = Convention.Statut
Partie = Signature.Partie
JOUR = datetime.date(2024, 5, 2)


@pytest.fixture
def convention_signee(ruitz_sans_convention, stockage, alice_agent, client):
    """Une convention en vigueur de Ruitz, avec son scan signé déposé."""
    convention = ConventionFactory(collectivite=ruitz_sans_convention, signee=True)
    for partie in Partie.values:
        SignatureFactory(convention=convention, partie=partie)
    client.force_login(alice_agent)
    client.post(
        reverse("gestion:convention_deposer_scan", args=[convention.pk]),
        {"fichier": SimpleUploadedFile("scan.pdf", pdf_octets())},
    )
    client.logout()
    convention.refresh_from_db()
    assert convention.scan
    return convention


def lire(client, nom, *args):
    return client.get(reverse(f"gestion:{nom}", args=args))


# --- Qui peut entrer ------------------------------------------------------

PAGES = [
    ("tableau_de_bord", None),
    ("collectivites", None),
    ("collectivite_creer", None),
    ("collectivite", "collectivite"),
    ("collectivite_modifier", "collectivite"),
    ("conventions", None),
    ("convention", "convention"),
    ("convention_scan", "convention"),
    ("convention_pdf", "convention"),
]

ACTIONS = [
    ("collectivite_categorie", "collectivite"),
    ("convention_creer", "collectivite"),
    ("convention_envoyer", "convention"),
    ("convention_signer", "convention"),
    ("convention_deposer_scan", "convention"),
    ("convention_resilier", "convention"),
    ("convention_expirer", "convention"),
    ("convention_supprimer", "convention"),
]


def url_de(nom, objet, convention):
    if objet is None:
        return reverse(f"gestion:{nom}")
    pk = convention.pk if objet == "convention" else convention.collectivite_id
    return reverse(f"gestion:{nom}", args=[pk])


@pytest.mark.parametrize(("nom", "objet"), PAGES + ACTIONS)
def test_anonymous_visitors_are_sent_to_the_login_page(
    client, convention_signee, nom, objet
):
    url = url_de(nom, objet, convention_signee)

    reponse = client.post(url) if (nom, objet) in ACTIONS else client.get(url)

    assert reponse.status_code == 302
    assert reponse["Location"].startswith("/connexion/?next=")


@pytest.mark.parametrize(("nom", "objet"), PAGES + ACTIONS)
def test_portal_users_are_refused(
    client, charlie_portail, convention_signee, nom, objet
):
    # Même rattaché à la collectivité, un utilisateur du portail n'a rien à
    # faire dans le back office.
    AdhesionFactory(
        utilisateur=charlie_portail, collectivite=convention_signee.collectivite
    )
    client.force_login(charlie_portail)
    url = url_de(nom, objet, convention_signee)

    reponse = client.post(url) if (nom, objet) in ACTIONS else client.get(url)

    assert reponse.status_code == 403
    convention_signee.refresh_from_db()
    assert convention_signee.statut == Statut.SIGNEE


@pytest.mark.parametrize(("nom", "objet"), PAGES)
def test_agents_see_every_back_office_page(
    client, alice_agent, convention_signee, nom, objet
):
    client.force_login(alice_agent)

    reponse = client.get(url_de(nom, objet, convention_signee))

    assert reponse.status_code == 200


@pytest.mark.parametrize(("nom", "objet"), [p for p in PAGES if p[1]] + ACTIONS)
def test_an_unknown_id_is_a_404(client, alice_agent, nom, objet):
    client.force_login(alice_agent)
    url = reverse(f"gestion:{nom}", args=[999999])

    reponse = client.post(url) if (nom, objet) in ACTIONS else client.get(url)

    assert reponse.status_code == 404


@pytest.mark.parametrize(("nom", "objet"), ACTIONS)
def test_actions_are_post_only(client, alice_agent, convention_signee, nom, objet):
    client.force_login(alice_agent)

    assert client.get(url_de(nom, objet, convention_signee)).status_code == 405


# --- Nombre de requêtes constant ------------------------------------------


def mesurer(client, url) -> int:
    client.get(url)  # la grille du jour est mise en cache au premier appel
    with CaptureQueriesContext(connection) as requetes:
        assert client.get(url).status_code == 200
    return len(requetes)


def peupler(nombre: int, grille) -> None:
    for _ in range(nombre):
        convention = ConventionFactory(grille=grille, statut=Statut.EN_SIGNATURE)
        SignatureFactory(convention=convention, partie=Partie.CDG)


@pytest.mark.parametrize(
    "url", ["/gestion/collectivites/", "/gestion/conventions/", "/gestion/"]
)
def test_lists_make_the_same_number_of_queries_with_5_and_50_rows(
    client, alice_agent, grille_2024_14, django_assert_num_queries, url
):
    client.force_login(alice_agent)
    peupler(5, grille_2024_14)
    avec_5 = mesurer(client, url)

    peupler(45, grille_2024_14)

    with django_assert_num_queries(avec_5):
        reponse = client.get(url)
    assert reponse.status_code == 200


def test_the_list_is_paginated_by_25(client, alice_agent, grille_2024_14):
    client.force_login(alice_agent)
    CollectiviteFactory.create_batch(30)

    premiere = client.get("/gestion/collectivites/")
    seconde = client.get("/gestion/collectivites/?page=2")

    assert len(premiere.context["lignes"]) == 25
    assert len(seconde.context["lignes"]) == 5
    assert "Page 1 sur 2" in premiere.text


# --- Recherche et filtres -------------------------------------------------


def noms(reponse) -> list[str]:
    return [ligne["collectivite"].nom for ligne in reponse.context["lignes"]]


def test_the_list_searches_by_name_insee_siren_and_siret(
    client, alice_agent, grille_2024_14
):
    client.force_login(alice_agent)
    ruitz = CollectiviteFactory(nom="Ruitz", code_insee="62728")
    CollectiviteFactory(nom="Quercamps", code_insee="62681")

    assert noms(client.get("/gestion/collectivites/?q=ruit")) == ["Ruitz"]
    assert noms(client.get("/gestion/collectivites/?q=62728")) == ["Ruitz"]
    espace = f"{ruitz.siren[:3]} {ruitz.siren[3:6]} {ruitz.siren[6:]}"
    assert noms(client.get("/gestion/collectivites/", {"q": espace})) == ["Ruitz"]
    assert noms(client.get("/gestion/collectivites/", {"q": ruitz.siret})) == ["Ruitz"]


def test_the_list_filters_by_category_and_type(client, alice_agent, grille_2024_14):
    client.force_login(alice_agent)
    CollectiviteFactory(nom="Petite", population=900)
    CollectiviteFactory(nom="Moyenne", population=1500)
    CollectiviteFactory(
        nom="CCAS de Beuvry",
        type=Collectivite.Type.CCAS,
        code_insee="",
        population=None,
        agents=7,
    )
    CollectiviteFactory(
        nom="Forcée", population=900, categorie_forcee="B", categorie_forcee_motif="x"
    )

    reponse = client.get("/gestion/collectivites/?categorie=B")

    assert noms(reponse) == ["CCAS de Beuvry", "Forcée", "Moyenne"]
    assert [ligne["categorie"] for ligne in reponse.context["lignes"]] == ["B"] * 3
    assert noms(client.get("/gestion/collectivites/?type=ccas")) == ["CCAS de Beuvry"]
    assert noms(client.get("/gestion/collectivites/?categorie=A")) == ["Petite"]


def test_the_list_filters_by_convention_state(client, alice_agent, grille_2024_14):
    client.force_login(alice_agent)
    sans = CollectiviteFactory(nom="Sans convention")
    ConventionFactory(
        collectivite=CollectiviteFactory(nom="Ancienne"),
        statut=Statut.EXPIREE,
        date_effet=JOUR,
    )
    ConventionFactory(collectivite=CollectiviteFactory(nom="Signée"), signee=True)
    ConventionFactory(collectivite=CollectiviteFactory(nom="Brouillon"))

    assert noms(client.get("/gestion/collectivites/?convention=aucune")) == [
        "Ancienne",
        sans.nom,
    ]
    assert noms(client.get("/gestion/collectivites/?convention=signee")) == ["Signée"]
    assert noms(client.get("/gestion/collectivites/?convention=brouillon")) == [
        "Brouillon"
    ]


def test_an_invalid_filter_value_is_not_an_error(client, alice_agent, grille_2024_14):
    client.force_login(alice_agent)
    CollectiviteFactory(nom="Ruitz")

    reponse = client.get("/gestion/collectivites/?categorie=Z&type=inconnu&page=abc")

    assert reponse.status_code == 200
    assert "Sélectionnez un choix valide" in reponse.text


def test_the_convention_list_filters_by_state_and_name(
    client, alice_agent, grille_2024_14
):
    client.force_login(alice_agent)
    ConventionFactory(collectivite=CollectiviteFactory(nom="Ruitz"), signee=True)
    ConventionFactory(collectivite=CollectiviteFactory(nom="Quercamps"))

    signees = client.get("/gestion/conventions/?statut=signee")
    ruitz_sans_convention = client.get("/gestion/conventions/?q=ruit")

    assert [c.collectivite.nom for c in signees.context["page"]] == ["Ruitz"]
    assert [c.collectivite.nom for c in ruitz_sans_convention.context["page"]] == [
        "Ruitz"
    ]


# --- Tableau de bord ------------------------------------------------------


def test_the_dashboard_lists_conventions_awaiting_signatures_oldest_first(
    client, alice_agent, grille_2024_14
):
    client.force_login(alice_agent)
    ancienne = ConventionFactory(
        collectivite=CollectiviteFactory(nom="Ruitz"), statut=Statut.EN_SIGNATURE
    )
    SignatureFactory(convention=ancienne, partie=Partie.COLLECTIVITE)
    recente = ConventionFactory(collectivite=CollectiviteFactory(nom="Quercamps"))
    ConventionFactory(signee=True)

    reponse = client.get("/gestion/")

    assert reponse.context["en_attente"] == [ancienne, recente]
    assert ancienne.pk and reponse.context["en_attente"][0].manquantes == [
        "La Fibre Numérique 59-62",
        "Le CDG 62",
    ]
    effectifs = {s.value: n for s, n in reponse.context["effectifs"]}
    assert effectifs == {
        "brouillon": 1,
        "en_signature": 1,
        "signee": 1,
        "resiliee": 0,
        "expiree": 0,
    }


# --- Collectivités : formulaires ------------------------------------------


SIREN_BONNIERES = "200083418"  # référentiel officiel, code INSEE 62154


def donnees_collectivite(**autres):
    siren = SIREN_BONNIERES
    donnees = {
        "type": "commune",
        "nom": "Bonnières",
        "siren": siren,
        "siret": siret_valide(siren),
        "code_insee": "62154",
        "adresse": "1 place de la Mairie",
        "code_postal": "62270",
        "ville": "Bonnières",
        "population": "640",
        "population_annee": "2021",
        "agents": "",
        "agents_date": "",
        "emails_contact": "mairie@bonnieres.fr; secretariat@bonnieres.fr",
        "telephone": "03 21 00 00 00",
    }
    donnees.update(autres)
    return donnees


def test_an_agent_creates_a_collectivite(client, alice_agent, grille_2024_14):
    client.force_login(alice_agent)

    reponse = client.post("/gestion/collectivites/nouvelle/", donnees_collectivite())

    collectivite = Collectivite.objects.get(nom="Bonnières")
    assert reponse.status_code == 302
    assert reponse["Location"] == f"/gestion/collectivites/{collectivite.pk}/"
    assert (
        collectivite.emails_contact == "mairie@bonnieres.fr, secretariat@bonnieres.fr"
    )
    assert collectivite.history.get().history_user == alice_agent
    page = client.get(reponse["Location"])
    assert "A — population totale de 640 habitants (2021)" in page.text


@pytest.mark.parametrize(
    ("champ", "valeur", "message"),
    [
        (
            "siret",
            "12345678901234",
            "Ce SIRET n&#x27;est pas valide (clé de contrôle incorrecte)",
        ),
        ("siret", "1234", "Le SIRET compte 14 chiffres (4 saisis)."),
        ("siren", "12345678A", "Le SIREN ne contient que des chiffres."),
        ("siren", "123456789", "Ce SIREN n&#x27;est pas valide"),
        ("code_insee", "6212", "Le code INSEE compte 5 caractères"),
        ("code_insee", "", "Le code INSEE est obligatoire pour une commune."),
        ("population", "-3", "La population ne peut pas être négative."),
        ("agents", "-1", "Le nombre d&#x27;agents ne peut pas être négatif."),
        ("emails_contact", "mairie@", "« mairie@ » n&#x27;est pas une adresse"),
        ("nom", "Autre-Nom", "s&#x27;appelle « Bonnières » dans le référentiel"),
        ("code_insee", "62999", "Le code INSEE 62999 n&#x27;existe pas dans le"),
    ],
)
def test_invalid_input_gets_a_french_message_and_keeps_what_was_typed(
    client, alice_agent, grille_2024_14, champ, valeur, message
):
    client.force_login(alice_agent)

    reponse = client.post(
        "/gestion/collectivites/nouvelle/", donnees_collectivite(**{champ: valeur})
    )

    assert reponse.status_code == 200
    assert message in reponse.text
    assert "1 place de la Mairie" in reponse.text
    assert not Collectivite.objects.exists()


def test_the_siret_must_start_with_the_siren(client, alice_agent, grille_2024_14):
    client.force_login(alice_agent)
    autre = siret_valide(siren_valide(7))

    reponse = client.post(
        "/gestion/collectivites/nouvelle/", donnees_collectivite(siret=autre)
    )

    assert "Le SIRET doit commencer par le SIREN" in reponse.text


def test_a_duplicate_siren_is_refused(client, alice_agent, grille_2024_14):
    client.force_login(alice_agent)
    existante = CollectiviteFactory(nom="Ruitz", siren=SIREN_BONNIERES, siret="")

    reponse = client.post("/gestion/collectivites/nouvelle/", donnees_collectivite())

    assert f"Ce SIREN est déjà celui de {existante.nom}." in reponse.text


def test_an_agent_edits_a_collectivite(client, alice_agent, ruitz_sans_convention):
    client.force_login(alice_agent)
    donnees = donnees_collectivite(
        nom="Ruitz",
        siren=ruitz_sans_convention.siren,
        siret=ruitz_sans_convention.siret,
        code_insee=ruitz_sans_convention.code_insee,
    )

    reponse = client.post(
        f"/gestion/collectivites/{ruitz_sans_convention.pk}/modifier/",
        donnees,
        follow=True,
    )

    ruitz_sans_convention.refresh_from_db()
    assert ruitz_sans_convention.population == 640
    assert "Les modifications ont été enregistrées." in reponse.text
    assert (
        ruitz_sans_convention.history.latest("history_date").history_user == alice_agent
    )


def test_forcing_the_category_without_a_reason_shows_an_error(
    client, alice_agent, ruitz_sans_convention
):
    client.force_login(alice_agent)

    reponse = client.post(
        f"/gestion/collectivites/{ruitz_sans_convention.pk}/categorie/",
        {"categorie": "D", "motif": ""},
    )

    assert reponse.status_code == 200
    assert "Indiquez le motif du forçage de la catégorie." in reponse.text
    ruitz_sans_convention.refresh_from_db()
    assert ruitz_sans_convention.categorie_forcee == ""


def test_forcing_the_category_is_shown_with_who_and_why(
    client, alice_agent, ruitz_sans_convention
):
    client.force_login(alice_agent)
    url = f"/gestion/collectivites/{ruitz_sans_convention.pk}/categorie/"

    client.post(url, {"categorie": "D", "motif": "Population estivale"})
    page = client.get(f"/gestion/collectivites/{ruitz_sans_convention.pk}/")

    assert "D — forcée par un agent : Population estivale" in page.text
    assert "Catégorie forcée à D : Population estivale" in page.text
    assert "alice@cdg62.fr" in page.text

    reponse = client.post(url, {"action": "retirer"}, follow=True)
    assert "la catégorie suit de nouveau la grille" in reponse.text
    ruitz_sans_convention.refresh_from_db()
    assert ruitz_sans_convention.categorie_forcee == ""


def test_the_collectivite_page_shows_memberships_and_convention_history(
    client, alice_agent, charlie_portail, convention_signee
):
    AdhesionFactory(
        utilisateur=charlie_portail,
        collectivite=convention_signee.collectivite,
        role="signataire",
    )
    client.force_login(alice_agent)

    page = client.get(f"/gestion/collectivites/{convention_signee.collectivite_id}/")

    assert "charlie@mairie.fr" in page.text
    assert "Signataire (peut accepter un devis)" in page.text
    assert f"Historique de la convention n°{convention_signee.pk}" in page.text
    assert "Scan signé déposé" in page.text


# --- Conventions : le parcours complet ------------------------------------


def test_an_agent_takes_a_convention_from_draft_to_signed(
    client, alice_agent, ruitz_sans_convention, stockage
):
    client.force_login(alice_agent)

    reponse = client.post(
        f"/gestion/collectivites/{ruitz_sans_convention.pk}/convention/"
    )
    convention = Convention.objects.get(collectivite=ruitz_sans_convention)
    url = f"/gestion/conventions/{convention.pk}/"
    assert reponse["Location"] == url

    reponse = client.post(url + "envoyer/", follow=True)
    assert "La convention est envoyée en signature." in reponse.text

    for partie, nom in [
        ("collectivite", "Mme la Maire"),
        ("cdg", "M. le Président du CDG"),
        ("fibre", "M. le Président du Syndicat"),
    ]:
        reponse = client.post(
            url + "signer/",
            {
                "partie": partie,
                "signataire_nom": nom,
                "signataire_qualite": "Signataire",
                "date": "2024-05-02",
            },
        )
        assert reponse.status_code == 302 and reponse["Location"] == url

    page = client.get(url)
    convention.refresh_from_db()
    assert convention.statut == Statut.SIGNEE
    assert convention.date_effet == JOUR
    assert "la convention est en vigueur depuis le 2 mai 2024" in page.text
    assert "M. le Président du Syndicat" in page.text


def test_a_duplicate_draft_gets_a_french_message(
    client, alice_agent, ruitz_sans_convention
):
    client.force_login(alice_agent)
    client.post(f"/gestion/collectivites/{ruitz_sans_convention.pk}/convention/")

    reponse = client.post(
        f"/gestion/collectivites/{ruitz_sans_convention.pk}/convention/", follow=True
    )

    assert "Une convention est déjà en préparation pour Ruitz" in reponse.text
    assert Convention.objects.count() == 1


def test_a_signature_form_error_keeps_the_input(
    client, alice_agent, ruitz_sans_convention
):
    convention = ConventionFactory(
        collectivite=ruitz_sans_convention, statut=Statut.EN_SIGNATURE
    )
    client.force_login(alice_agent)

    reponse = client.post(
        f"/gestion/conventions/{convention.pk}/signer/",
        {"partie": "cdg", "signataire_nom": "Jean Dupont", "date": "31/02/2024"},
    )

    assert reponse.status_code == 200
    assert "Indiquez la qualité du signataire." in reponse.text
    assert "Saisissez une date valide" in reponse.text
    assert 'value="Jean Dupont"' in reponse.text
    assert not convention.signatures.exists()


def test_a_refused_signature_shows_the_service_message(
    client, alice_agent, ruitz_sans_convention
):
    convention = ConventionFactory(
        collectivite=ruitz_sans_convention, statut=Statut.EN_SIGNATURE
    )
    SignatureFactory(convention=convention, partie=Partie.CDG)
    client.force_login(alice_agent)

    reponse = client.post(
        f"/gestion/conventions/{convention.pk}/signer/",
        {
            "partie": "cdg",
            "signataire_nom": "Jean Dupont",
            "signataire_qualite": "Président",
            "date": "2024-05-02",
        },
    )

    assert reponse.status_code == 200
    assert "Cette partie a déjà signé ou n&#x27;existe pas." in reponse.text


def test_a_termination_without_reason_is_refused_with_a_french_message(
    client, alice_agent, convention_signee
):
    client.force_login(alice_agent)

    reponse = client.post(
        f"/gestion/conventions/{convention_signee.pk}/resilier/",
        {"date": "2025-01-31", "motif": "  "},
    )

    assert reponse.status_code == 200
    assert "Indiquez le motif de la résiliation." in reponse.text
    convention_signee.refresh_from_db()
    assert convention_signee.statut == Statut.SIGNEE


def test_an_agent_terminates_a_convention(client, alice_agent, convention_signee):
    client.force_login(alice_agent)
    url = f"/gestion/conventions/{convention_signee.pk}/"

    reponse = client.post(
        url + "resilier/", {"date": "2025-01-31", "motif": "Fusion de communes"}
    )

    assert reponse.status_code == 302 and reponse["Location"] == url
    page = client.get(url)
    assert "La convention est résiliée au 31 janvier 2025." in page.text
    assert "Résiliée au 31 janvier 2025 : Fusion de communes" in page.text


def test_a_refused_transition_lands_back_with_a_message(
    client, alice_agent, convention_signee
):
    client.force_login(alice_agent)
    url = f"/gestion/conventions/{convention_signee.pk}/"

    reponse = client.post(url + "supprimer/", follow=True)

    assert reponse.redirect_chain == [(url, 302)]
    assert "Impossible de supprimer la convention" in reponse.text
    assert Convention.objects.filter(pk=convention_signee.pk).exists()


def test_an_agent_deletes_a_draft(client, alice_agent, ruitz_sans_convention):
    convention = ConventionFactory(collectivite=ruitz_sans_convention)
    client.force_login(alice_agent)

    reponse = client.post(
        f"/gestion/conventions/{convention.pk}/supprimer/", follow=True
    )

    assert reponse.redirect_chain == [
        (f"/gestion/collectivites/{ruitz_sans_convention.pk}/", 302)
    ]
    assert f"Le brouillon n°{convention.pk} a été supprimé." in reponse.text
    assert "Brouillon supprimé" in reponse.text


# --- Scan signé -----------------------------------------------------------


def test_the_signed_scan_is_downloaded_as_an_attachment(
    client, alice_agent, convention_signee
):
    client.force_login(alice_agent)

    reponse = client.get(f"/gestion/conventions/{convention_signee.pk}/scan/")

    assert reponse.status_code == 200
    assert reponse["Content-Type"] == "application/pdf"
    assert reponse["Content-Disposition"] == (
        f'attachment; filename="convention-{convention_signee.pk}-ruitz-signee.pdf"'
    )
    assert b"".join(reponse.streaming_content).startswith(b"%PDF-")


def test_a_convention_without_scan_has_nothing_to_download(
    client, alice_agent, ruitz_sans_convention
):
    convention = ConventionFactory(collectivite=ruitz_sans_convention, signee=True)
    client.force_login(alice_agent)

    assert client.get(f"/gestion/conventions/{convention.pk}/scan/").status_code == 404


def test_a_bad_upload_is_refused_with_its_own_message(
    client, alice_agent, convention_signee
):
    client.force_login(alice_agent)
    empreinte = convention_signee.scan_sha256

    reponse = client.post(
        f"/gestion/conventions/{convention_signee.pk}/scan/deposer/",
        {"fichier": SimpleUploadedFile("scan.pdf", pdf_octets(mot_de_passe="x"))},
    )

    assert reponse.status_code == 200
    assert "Le PDF est protégé par un mot de passe" in reponse.text
    convention_signee.refresh_from_db()
    assert convention_signee.scan_sha256 == empreinte


def test_the_scan_cannot_be_deposited_on_a_draft(
    client, alice_agent, ruitz_sans_convention, stockage
):
    convention = ConventionFactory(collectivite=ruitz_sans_convention)
    client.force_login(alice_agent)

    reponse = client.post(
        f"/gestion/conventions/{convention.pk}/scan/deposer/",
        {"fichier": SimpleUploadedFile("scan.pdf", pdf_octets())},
    )

    assert reponse.status_code == 200
    assert "Impossible de déposer le scan signé" in reponse.text
    convention.refresh_from_db()
    assert not convention.scan


# --- PDF de la convention -------------------------------------------------


def test_the_convention_pdf_is_downloaded(client, alice_agent, ruitz_sans_convention):
    convention = ConventionFactory(collectivite=ruitz_sans_convention)
    client.force_login(alice_agent)

    reponse = client.get(f"/gestion/conventions/{convention.pk}/pdf/")

    assert reponse.status_code == 200
    assert reponse["Content-Type"] == "application/pdf"
    assert reponse.content.startswith(b"%PDF-")
