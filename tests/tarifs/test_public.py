"""Les pages publiques : le simulateur (mêmes totaux que ``/api/chiffrage``)
et la grille publiée (``/tarifs/``, ``/tarifs/2024-14/``), sans connexion."""

from __future__ import annotations

import copy
import datetime
import html
import json
import re
from urllib.parse import parse_qs, urlsplit

import pytest

from conventions.models import Collectivite
from conventions.referentiel_chargement import (
    referentiel_charger,
    referentiel_officiel,
)
from tarifs.models import GrilleTarifaire, Tarif
from tarifs.services import grille_dupliquer
from tests.hostiles import ANGLAIS, NOMBRES, TEXTES, sans_faille

SIMULATEUR = "/simulateur/"
CHIFFRAGE = "/simulateur/chiffrage"
COMMUNES = "/simulateur/communes"

TOTAL = re.compile(
    r'data-emetteur="(?P<emetteur>\w+)" data-total-unique="(?P<unique>[\d.]+)" '
    r'data-total-annuel="(?P<annuel>[\d.]+)" '
    r'data-total-premiere-annee="(?P<premiere>[\d.]+)" '
    r'data-sur-devis="(?P<sur_devis>\w+)"'
)

# Une demande qui touche chaque manière de chiffrer : prix unitaire, barème
# dérivé (messagerie), barème sur intervention (antivirus), inclus (clé),
# catégorie (forfait et sa mise en service), plafond dépassé (sur devis).
LIGNES = [
    {"code": "forfait-categorie", "quantite": 1},
    {"code": "forfait-categorie-mise-en-service", "quantite": 1},
    {"code": "messagerie-5go", "quantite": 3},
    {"code": "messagerie-illimitee", "quantite": 2},
    {"code": "antivirus-mise-en-service", "quantite": 8, "intervention": True},
    {"code": "antivirus-abonnement", "quantite": 8},
    {"code": "cle-1an-cdg", "quantite": 1},
    {"code": "sauvegarde-go-supplementaire", "quantite": 120},
]


def _parametres(lignes, **collectivite) -> dict:
    parametres = dict(collectivite)
    for ligne in lignes:
        parametres[f"quantite_{ligne['code']}"] = ligne["quantite"]
        if ligne.get("intervention"):
            parametres[f"intervention_{ligne['code']}"] = "on"
    return parametres


def totaux_du_simulateur(reponse) -> dict[str, dict]:
    return {
        m["emetteur"]: {
            "total_unique": m["unique"],
            "total_annuel": m["annuel"],
            "total_premiere_annee": m["premiere"],
            "sur_devis": m["sur_devis"] == "true",
        }
        for m in TOTAL.finditer(reponse.content.decode())
    }


def totaux_de_l_api(client, corps) -> dict[str, dict]:
    reponse = client.post(
        "/api/chiffrage", json.dumps(corps), content_type="application/json"
    )
    assert reponse.status_code == 200, reponse.content
    return {
        d["emetteur"]: {
            cle: d[cle]
            for cle in (
                "total_unique",
                "total_annuel",
                "total_premiere_annee",
                "sur_devis",
            )
        }
        for d in reponse.json()["devis"]
    }


# De vraies communes du référentiel, de toutes tailles (et quelques noms à
# accents, tirets et « Saint »), avec les 20 EPCI : le chargement des 887
# communes est éprouvé ailleurs (tests/conventions/test_referentiel.py).
CODES_INSEE = {
    "62727": "Ruitz",
    "62041": "Arras",
    "62193": "Calais",
    "62675": "Quercamps",
    "62857": "Villers-Châtel",
    "62765": "Saint-Omer",
    "62126": "Beuvry",
}


def charger_communes(codes) -> None:
    donnees = copy.deepcopy(referentiel_officiel())
    donnees.pop("communes_par_code")
    donnees["communes"] = [c for c in donnees["communes"] if c["code_insee"] in codes]
    assert len(donnees["communes"]) == len(codes)
    referentiel_charger(donnees=donnees)


@pytest.fixture
def referentiel(grille_2024_14):
    """Quelques communes du référentiel officiel du 62, telles quelles."""
    charger_communes(CODES_INSEE)


def commune(code_insee: str) -> Collectivite:
    return Collectivite.objects.get(type="commune", code_insee=code_insee)


# --- Le simulateur chiffre comme l'API -----------------------------------------


@pytest.mark.parametrize(
    "code_insee",
    [
        "62727",  # Ruitz, catégorie B
        "62041",  # Arras, catégorie G : accompagnement sur devis
        "62126",  # Beuvry, catégorie D
        "62675",  # Quercamps, catégorie A
    ],
)
def test_the_simulator_totals_equal_the_api_for_a_commune_of_the_referentiel(
    client, referentiel, code_insee
):
    """Pour une vraie commune du référentiel, le simulateur et l'API donnent,
    par émetteur, les mêmes trois totaux et le même signal « sur devis »."""
    choisie = commune(code_insee)
    simulateur = client.get(
        CHIFFRAGE, _parametres(LIGNES, base="commune", commune=choisie.pk)
    )
    assert simulateur.status_code == 200

    attendus = totaux_de_l_api(
        client, {"collectivite": {"id": choisie.pk}, "lignes": LIGNES}
    )
    assert totaux_du_simulateur(simulateur) == attendus
    assert set(attendus) == {"fibre", "cdg"}
    # La population du référentiel donne la même catégorie, donc les mêmes totaux.
    assert attendus == totaux_de_l_api(
        client, {"collectivite": {"population": choisie.population}, "lignes": LIGNES}
    )


@pytest.mark.parametrize(
    "collectivite, api",
    [
        ({"base": "population", "population": "850"}, {"population": 850}),
        ({"base": "population", "population": "1000"}, {"population": 1000}),
        ({"base": "population", "population": "150000"}, {"population": 150000}),
        ({"base": "agents", "agents": "12"}, {"agents": 12}),
        ({"base": "agents", "agents": "4"}, {"agents": 4}),
    ],
)
def test_the_simulator_totals_equal_the_api_for_a_population_or_agents(
    client, grille_2024_14, collectivite, api
):
    simulateur = client.get(CHIFFRAGE, _parametres(LIGNES, **collectivite))

    assert totaux_du_simulateur(simulateur) == totaux_de_l_api(
        client, {"collectivite": api, "lignes": LIGNES}
    )


def test_the_simulator_prices_services_that_need_no_collectivite(
    client, grille_2024_14
):
    lignes = [{"code": "messagerie-5go", "quantite": 3}]
    simulateur = client.get(CHIFFRAGE, _parametres(lignes))

    assert totaux_du_simulateur(simulateur) == totaux_de_l_api(
        client, {"lignes": lignes}
    )
    assert totaux_du_simulateur(simulateur)["fibre"]["total_annuel"] == "60.00"


def test_the_simulator_page_shows_both_devis_without_login(client, referentiel):
    """Sans JavaScript, « Calculer » recharge la page avec les deux devis et
    leurs totaux, en français."""
    ruitz = commune("62727")
    reponse = client.get(
        SIMULATEUR,
        _parametres(
            [
                {"code": "messagerie-5go", "quantite": 3},
                {"code": "cle-1an-cdg", "quantite": 1},
            ],
            base="commune",
            recherche="ruitz",
            commune=ruitz.pk,
        ),
    )
    assert reponse.status_code == 200
    texte = reponse.content.decode()
    assert "Devis La Fibre Numérique 59-62" in texte and "Devis CDG 62" in texte
    assert "Total première année" in texte
    assert "136,80\xa0€" in texte  # 3 × 20,00 € + 76,80 €
    assert f'id="commune-{ruitz.pk}" data-pour-base="commune" checked' in texte
    assert "catégorie B" in texte


def test_the_empty_simulator_invites_to_enter_quantities(client, grille_2024_14):
    reponse = client.get(SIMULATEUR)
    assert reponse.status_code == 200
    assert "Indiquez une quantité pour au moins une prestation" in reponse.text
    assert 'hx-get="/simulateur/chiffrage"' in reponse.text
    assert "/static/js/simulateur.js" in reponse.text


@pytest.mark.parametrize(
    "recherche",
    ["ruitz", "RUITZ", "62727", "62620", "627"],
)
def test_the_commune_search_finds_by_name_insee_code_or_postal_code(
    client, referentiel, recherche
):
    ruitz = commune("62727")
    reponse = client.get(COMMUNES, {"recherche": recherche})
    assert reponse.status_code == 200
    assert f'id="commune-{ruitz.pk}"' in reponse.text or recherche == "627"
    if recherche != "627":
        assert "Ruitz" in reponse.text


def test_the_commune_search_ignores_accents_hyphens_and_abbreviations(
    client, referentiel
):
    assert (
        "Villers-Châtel" in client.get(COMMUNES, {"recherche": "villers chatel"}).text
    )
    assert "Saint-Omer" in client.get(COMMUNES, {"recherche": "st omer"}).text


def test_the_commune_search_says_when_nothing_matches(client, referentiel):
    reponse = client.get(COMMUNES, {"recherche": "Gotham"})
    assert "Aucune commune ni EPCI du Pas-de-Calais ne correspond" in reponse.text
    assert "au moins deux caractères" in client.get(COMMUNES, {"recherche": "r"}).text


def test_the_commune_search_keeps_the_chosen_commune_checked(client, referentiel):
    ruitz = commune("62727")
    reponse = client.get(COMMUNES, {"recherche": "arras", "commune": ruitz.pk})
    assert f'id="commune-{ruitz.pk}" data-pour-base="commune" checked' in reponse.text
    assert "Arras" in reponse.text


def test_only_collectivites_of_the_referentiel_can_be_chosen(client, referentiel):
    """Une collectivité saisie à la main (CCAS…) n'est pas dans la liste."""
    from tests.factories import CollectiviteFactory

    ccas = CollectiviteFactory(nom="CCAS de Ruitz", type="autre", code_insee="")
    assert "CCAS de Ruitz" not in client.get(COMMUNES, {"recherche": "ccas"}).text
    reponse = client.get(
        CHIFFRAGE,
        _parametres([{"code": "forfait-categorie", "quantite": 1}], commune=ccas.pk),
    )
    assert "pas dans la liste officielle" in reponse.text
    assert not totaux_du_simulateur(reponse)


# --- Une saisie fautive : un message en français sur le champ ------------------


@pytest.mark.parametrize(
    "parametres, champ, message",
    [
        (
            {"quantite_messagerie-5go": "trois"},
            "quantite_messagerie-5go",
            "La quantité doit être un nombre entier",
        ),
        (
            {"quantite_messagerie-5go": "-2"},
            "quantite_messagerie-5go",
            "La quantité ne peut pas être négative.",
        ),
        (
            {"quantite_messagerie-5go": "100000"},
            "quantite_messagerie-5go",
            "La quantité ne peut pas dépasser 99\xa0999.",
        ),
        (
            {"quantite_forfait-categorie": "1"},
            "commune",
            "Choisissez votre commune dans la liste",
        ),
        (
            {"quantite_forfait-categorie": "1", "base": "population"},
            "population",
            "Indiquez la population",
        ),
        (
            {"quantite_forfait-categorie": "1", "base": "agents", "agents": "-1"},
            "agents",
            "Le nombre d'agents ne peut pas être négatif.",
        ),
        (
            {"quantite_forfait-categorie": "1", "commune": "999999999"},
            "commune",
            "pas dans la liste officielle",
        ),
        (
            {"quantite_forfait-categorie": "1", "commune": "Ruitz"},
            "commune",
            "Cette commune n'existe pas",
        ),
        ({"base": "martien"}, "base", "Choisissez l'une des trois possibilités."),
        ({"recherche": "Ruitz\u202e"}, "recherche", "caractères invisibles"),
    ],
)
def test_a_bad_input_gets_a_french_message_on_its_field(
    client, grille_2024_14, parametres, champ, message
):
    for url in (CHIFFRAGE, SIMULATEUR):
        reponse = client.get(url, parametres)
        assert reponse.status_code == 200
        erreurs = reponse.context["form"].errors
        assert champ in erreurs, erreurs
        assert any(message in e for e in erreurs[champ]), erreurs[champ]
        assert message.replace("'", "&#x27;") in reponse.content.decode()
        assert not totaux_du_simulateur(reponse)


def test_the_live_result_refreshes_each_field_error_out_of_band(client, grille_2024_14):
    reponse = client.get(CHIFFRAGE, {"quantite_messagerie-5go": "trois"})
    texte = reponse.content.decode()
    assert (
        '<div id="id_quantite_messagerie-5go_erreurs" class="invalid-feedback d-block"'
        ' hx-swap-oob="true"><p class="mb-0">La quantité doit être un nombre entier'
    ) in texte
    assert (
        'id="id_population_erreurs" class="invalid-feedback d-block" hx-swap-oob'
        in (texte)
    )
    assert "Saisie à corriger : 1 erreur." in texte


@pytest.mark.parametrize("nom", sorted(NOMBRES))
def test_hostile_numbers_never_break_the_simulator(client, grille_2024_14, nom):
    valeur = NOMBRES[nom]
    for champ in ("quantite_messagerie-5go", "population", "agents", "commune"):
        reponse = client.get(
            CHIFFRAGE, {champ: valeur, "base": champ, "quantite_forfait-categorie": 1}
        )
        texte = sans_faille(reponse)
        assert reponse.status_code == 200
        for erreurs in reponse.context["form"].errors.values():
            assert not any(ANGLAIS.search(e) for e in erreurs), erreurs
        assert (
            "Saisie à corriger" in texte
            or totaux_du_simulateur(reponse)
            or ("Indiquez une quantité" in texte)
        )


@pytest.mark.parametrize("nom", sorted(TEXTES))
def test_hostile_texts_never_break_the_search(client, referentiel, nom):
    for url in (COMMUNES, SIMULATEUR, CHIFFRAGE):
        reponse = client.get(url, {"recherche": TEXTES[nom], "commune": TEXTES[nom]})
        sans_faille(reponse)
        assert reponse.status_code == 200


def test_without_a_grid_in_force_the_simulator_says_so(client, db):
    for url in (SIMULATEUR, CHIFFRAGE, COMMUNES):
        reponse = client.get(url)
        assert reponse.status_code == 200
        assert "Aucune grille tarifaire publiée n'est en vigueur" in html.unescape(
            reponse.text
        )


# --- « Demander ce devis » -----------------------------------------------------


def _lien(reponse) -> str:
    return reponse.context["lien"].url


def test_the_request_link_goes_through_the_login_page_for_a_visitor(
    client, referentiel
):
    ruitz = commune("62727")
    reponse = client.get(
        CHIFFRAGE,
        _parametres(LIGNES[:1] + LIGNES[4:5], base="commune", commune=ruitz.pk),
    )
    lien = urlsplit(_lien(reponse))
    assert lien.path == "/connexion/"
    suite = urlsplit(parse_qs(lien.query)["next"][0])
    assert suite.path == f"/portail/{ruitz.pk}/demander"
    assert parse_qs(suite.query) == {
        "quantite_forfait-categorie": ["1"],
        "quantite_antivirus-mise-en-service": ["8"],
        "intervention_antivirus-mise-en-service": ["1"],
    }
    assert "Demander ce devis" in reponse.text


def test_without_a_commune_the_link_leads_to_the_portal(client, grille_2024_14):
    reponse = client.get(CHIFFRAGE, {"quantite_messagerie-5go": 2})
    lien = urlsplit(_lien(reponse))
    assert lien.path == "/connexion/"
    assert parse_qs(lien.query)["next"] == ["/portail/"]


def test_the_request_link_opens_the_prefilled_portal_form_for_a_member(
    client, grille_2024_14, organismes
):
    """Sophie, signataire de Ruitz, suit le lien : le formulaire de demande du
    portail s'ouvre avec les quantités et l'intervention du simulateur."""
    from conventions.models import Adhesion, Convention
    from tests.factories import AdhesionFactory, ConventionFactory, UtilisateurFactory

    charger_communes({"62727"})
    ruitz = commune("62727")
    ConventionFactory(
        collectivite=ruitz, grille=grille_2024_14, statut=Convention.Statut.SIGNEE
    )
    sophie = UtilisateurFactory(email="sophie@mairie-ruitz.fr")
    AdhesionFactory(
        utilisateur=sophie, collectivite=ruitz, role=Adhesion.Role.SIGNATAIRE
    )
    client.force_login(sophie)

    simulation = client.get(
        CHIFFRAGE,
        _parametres(
            [
                {"code": "messagerie-5go", "quantite": 3},
                {
                    "code": "antivirus-mise-en-service",
                    "quantite": 8,
                    "intervention": True,
                },
            ],
            commune=ruitz.pk,
        ),
    )
    demande = client.get(_lien(simulation))

    assert demande.status_code == 200
    form = demande.context["form"]
    assert form["quantite_messagerie-5go"].value() == "3"
    assert form["intervention_antivirus-mise-en-service"].value()
    assert totaux_du_simulateur(demande) == totaux_du_simulateur(simulation)
    # Un lien trafiqué ne fait qu'un formulaire à corriger, jamais une faille.
    piege = client.get(
        f"/portail/{ruitz.pk}/demander",
        {"quantite_messagerie-5go": TEXTES["script"], "quantite_inconnue": "3"},
    )
    assert piege.status_code == 200
    sans_faille(piege)


def test_a_portal_user_of_another_collectivite_is_told_to_ask_the_cdg(
    client, referentiel
):
    from tests.factories import UtilisateurFactory

    client.force_login(UtilisateurFactory())
    ruitz = commune("62727")
    reponse = client.get(
        CHIFFRAGE,
        _parametres([{"code": "messagerie-5go", "quantite": 1}], commune=ruitz.pk),
    )
    assert _lien(reponse) == "/portail/"
    assert "pas rattaché à Ruitz" in reponse.text


# --- La grille publiée ---------------------------------------------------------


def test_the_tariffs_page_shows_the_grid_in_force_with_its_deliberation(
    client, grille_2024_14
):
    reponse = client.get("/tarifs/")
    assert reponse.status_code == 200
    texte = reponse.content.decode()
    assert "Grille tarifaire 2024/14" in texte
    assert (
        "Conseil d&#x27;Administration du Centre de Gestion du Pas-de-Calais" in texte
    )
    assert "26 mars 2024" in texte and "En vigueur" in texte
    # Prix unitaire, forfaits des barèmes, incrément, sur devis, inclus.
    assert "20,00\xa0€" in texte and "76,80\xa0€" in texte
    assert "1 à 2 : forfait de 25,00\xa0€" in texte
    assert "11 à 20 : forfait de 150,00\xa0€" in texte
    assert "Au-delà de 20, par tranche de 20 commencée : + 50,00\xa0€" in texte
    assert "Au-delà de 20 : Sur devis" in texte
    assert "Au-delà de 100 : Sur devis" in texte
    assert "Inclus" in texte
    # Tableau 2 : seuils et montants par catégorie.
    assert "1\xa0001 à 2\xa0000" in texte and "10\xa0212,00\xa0€" in texte
    assert "Sur devis" in texte


def test_the_grid_has_its_own_address_from_its_reference(client, grille_2024_14):
    reponse = client.get("/tarifs/2024-14/")
    assert reponse.status_code == 200
    assert "Grille tarifaire 2024/14" in reponse.text
    assert 'href="/tarifs/2024-14/"' in client.get(SIMULATEUR).text


def test_a_draft_grid_is_not_public(client, grille_2024_14):
    brouillon = grille_dupliquer(grille=grille_2024_14)
    brouillon.reference = "2026/03"
    brouillon.date_effet = datetime.date(2026, 1, 1)
    brouillon.save()

    assert client.get("/tarifs/2026-03/").status_code == 404
    assert client.get("/tarifs/2099-99/").status_code == 404
    assert "2026/03" not in client.get("/tarifs/").text


def test_a_new_grid_shows_its_changed_price_and_the_old_one_stays_readable(
    client, grille_2024_14
):
    from tarifs.services import grille_publier

    nouvelle = grille_dupliquer(grille=grille_2024_14)
    nouvelle.reference = "2025/07"
    nouvelle.date_effet = datetime.date(2025, 1, 1)
    nouvelle.save()
    Tarif.objects.filter(
        prestation__grille=nouvelle, prestation__code="nom-de-domaine"
    ).update(prix_unitaire="16.50")
    grille_publier(grille=nouvelle)

    en_vigueur = client.get("/tarifs/").text
    assert "Grille tarifaire 2025/07" in en_vigueur and "16,50\xa0€" in en_vigueur
    assert 'href="/tarifs/2024-14/"' in en_vigueur
    ancienne = client.get("/tarifs/2024-14/").text
    assert "Remplacée par la grille" in ancienne and "16,50" not in ancienne


def test_without_a_published_grid_the_tariffs_page_says_so(client, db):
    reponse = client.get("/tarifs/")
    assert reponse.status_code == 200
    assert "Aucune grille tarifaire publiée n'est en vigueur" in html.unescape(
        reponse.text
    )
    assert GrilleTarifaire.objects.count() == 0


def test_a_commune_without_population_asks_for_one(client, referentiel):
    ruitz = commune("62727")
    Collectivite.objects.filter(pk=ruitz.pk).update(population=None)
    reponse = client.get(
        CHIFFRAGE, _parametres(LIGNES[:1], base="commune", commune=ruitz.pk)
    )
    assert reponse.context["form"].errors["commune"] == [
        "Catégorie de Ruitz : Inconnue : ni population ni nombre d'agents. "
        "Indiquez plutôt sa population."
    ]


def test_an_epci_of_the_referentiel_is_priced_like_the_api(client, referentiel):
    """La CU d'Arras (plus de 100 000 habitants, catégorie I) se choisit comme
    une commune."""
    epci = Collectivite.objects.get(type="epci", nom="CU d'Arras")
    trouvees = client.get(COMMUNES, {"recherche": "cu arras"}).content.decode()
    assert f'id="commune-{epci.pk}"' in trouvees and "Communauté urbaine" in trouvees

    simulateur = client.get(CHIFFRAGE, _parametres(LIGNES, commune=epci.pk))
    assert "catégorie I" in simulateur.content.decode()
    assert totaux_du_simulateur(simulateur) == totaux_de_l_api(
        client, {"collectivite": {"id": epci.pk}, "lignes": LIGNES}
    )
