"""Les exports CSV et XLSX des listes du back office (collectivités,
conventions, devis, abonnements, clés de signature) : toutes les lignes qui
répondent aux filtres de la page (pas la seule page), des colonnes qu'un agent
du CDG attend, les formules désamorcées, les décimales à la française dans le
CSV, le nombre de requêtes indépendant du nombre de lignes, et réservés aux
agents comme les listes."""

from __future__ import annotations

import csv
import datetime
import io
from decimal import Decimal

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from abonnements import cles as cles_services
from abonnements import services as abonnements_services
from abonnements.models import Abonnement, CleSignature
from config.tableurs import contenu_tableur, neutraliser
from conventions.models import Collectivite
from devis import services as devis_services
from tarifs.calcul import LigneDemandee
from tests.factories import CollectiviteFactory, ConventionFactory, devis_emis_pour

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("pdf_rapide")]

FORMULE = '=HYPERLINK("http://x")'
LISTES = [
    "/gestion/collectivites/",
    "/gestion/conventions/",
    "/gestion/devis/",
    "/gestion/abonnements/liste/",
    "/gestion/abonnements/cles/",
]


def lire_csv(reponse) -> list[dict]:
    assert reponse.status_code == 200
    assert reponse["Content-Type"] == "text/csv; charset=utf-8"
    texte = reponse.content.decode("utf-8")
    assert texte.startswith("\ufeff"), "le BOM ouvre le fichier juste dans un tableur"
    lecteur = csv.DictReader(io.StringIO(texte.removeprefix("\ufeff")), delimiter=";")
    return list(lecteur)


def lire_xlsx(reponse) -> list[dict]:
    assert reponse.status_code == 200
    assert reponse["Content-Type"].startswith("application/vnd.openxmlformats")
    feuille = openpyxl.load_workbook(io.BytesIO(reponse.content)).active
    lignes = list(feuille.iter_rows(values_only=True))
    return [dict(zip(lignes[0], ligne, strict=True)) for ligne in lignes[1:]]


def accepter(devis, agent, titulaire=None):
    return devis_services.devis_accepter(
        devis=devis,
        signataire_nom="Jeanne Dupont",
        signataire_qualite="Maire",
        par=agent,
        canal="papier",
        titulaire_cle=titulaire,
    )


# --- Collectivités ----------------------------------------------------------------


def test_the_collectivites_export_has_every_filtered_row_not_just_the_page(
    agent, ruitz
):
    CollectiviteFactory.create_batch(30, type=Collectivite.Type.SYNDICAT)
    CollectiviteFactory(nom="Un CCAS", type=Collectivite.Type.CCAS)

    page = agent.get("/gestion/collectivites/", {"type": "syndicat"})
    lignes = lire_csv(
        agent.get("/gestion/collectivites/", {"type": "syndicat", "export": "csv"})
    )

    assert page.context["page"].paginator.count == 30
    assert len(page.context["page"].object_list) == 25
    assert len(lignes) == 30
    assert {ligne["Type"] for ligne in lignes} == {"Syndicat"}


def test_the_collectivites_export_has_identity_category_and_convention(agent, ruitz):
    (ligne,) = lire_xlsx(
        agent.get("/gestion/collectivites/", {"q": "ruitz", "export": "xlsx"})
    )

    assert ligne["Nom"] == "Ruitz"
    assert (ligne["Code INSEE"], ligne["SIREN"]) == ("62727", "216207274")
    assert ligne["Population totale"] == 1500
    assert ligne["Catégorie"] == "B"
    assert ligne["Catégorie forcée"] == "non"
    assert ligne["Convention"] == "En vigueur"
    assert ligne["En vigueur depuis"] == datetime.datetime(2024, 5, 2)


# --- Conventions ------------------------------------------------------------------


def test_the_conventions_export_respects_the_state_filter_and_lists_signatures(
    agent, en_signature, signee
):
    lignes = lire_csv(
        agent.get("/gestion/conventions/", {"statut": "en_signature", "export": "csv"})
    )

    (ligne,) = lignes
    assert ligne["N° convention"] == str(en_signature.pk)
    assert (ligne["Collectivité"], ligne["Code INSEE"]) == ("Ruitz", "62727")
    assert ligne["État"] == "En signature"
    assert ligne["Signatures manquantes"] == (
        "La collectivité, La Fibre Numérique 59-62, Le CDG 62"
    )

    (signee_ligne,) = lire_csv(
        agent.get("/gestion/conventions/", {"q": "quercamps", "export": "csv"})
    )
    assert signee_ligne["État"] == "Signée (en vigueur)"
    assert signee_ligne["Signataire pour la collectivité"] == "Dominique Durand, Maire"
    assert signee_ligne["Signée par le CDG le"] == "02/05/2024"
    assert signee_ligne["Signatures manquantes"] == ""


# --- Devis ------------------------------------------------------------------------


def test_the_devis_export_respects_the_filters(agent, monde_portail):
    lignes = lire_csv(
        agent.get("/gestion/devis/", {"emetteur": "cdg", "export": "csv"})
    )
    beuvry = lire_csv(
        agent.get("/gestion/devis/", {"collectivite": "beuvry", "export": "csv"})
    )
    brouillons = lire_csv(
        agent.get("/gestion/devis/", {"statut": "brouillon", "export": "csv"})
    )

    assert {ligne["Émetteur"] for ligne in lignes} == {monde_portail.cdg.emetteur.nom}
    assert {ligne["Numéro"] for ligne in lignes} == {
        monde_portail.cdg.numero,
        *(
            d.numero
            for d in monde_portail.beuvry.devis.all()
            if d.emetteur.code == "cdg"
        ),
    }
    assert {ligne["Collectivité"] for ligne in beuvry} == {"Beuvry"}
    assert [ligne["Numéro"] for ligne in brouillons] == [
        f"Brouillon n°{monde_portail.brouillon.pk}"
    ]
    assert brouillons[0]["Statut"] == "Brouillon"


def test_devis_amounts_are_french_decimals_in_csv_and_numbers_in_xlsx(
    agent, devis_emis
):
    (ligne,) = lire_csv(
        agent.get("/gestion/devis/", {"q": devis_emis.numero, "export": "csv"})
    )
    (cellules,) = lire_xlsx(
        agent.get("/gestion/devis/", {"q": devis_emis.numero, "export": "xlsx"})
    )

    assert (
        ligne["Total unique TTC"],
        ligne["Total annuel TTC"],
        ligne["Total première année TTC"],
    ) == ("76,80", "60,00", "136,80")
    assert ligne["Statut"] == "Émis"
    assert ligne["Date d'émission"] == devis_emis.date_emission.strftime("%d/%m/%Y")
    assert Decimal(str(cellules["Total première année TTC"])) == Decimal("136.80")
    assert cellules["Valable jusqu'au"].date() == devis_emis.date_validite


def test_an_issued_devis_past_its_validity_is_exported_as_expired(
    agent, ruitz, alice_agent
):
    (perime,) = devis_emis_pour(
        ruitz,
        par=alice_agent,
        jour=datetime.date(2024, 6, 1),
        lignes=[LigneDemandee("nom-de-domaine", 1)],
    )

    (ligne,) = lire_csv(
        agent.get("/gestion/devis/", {"q": perime.numero, "export": "csv"})
    )

    assert ligne["Statut"] == "Expiré"


# --- Abonnements et clés ---------------------------------------------------------


@pytest.fixture
def inventaire(devis_emis, brouillon_cdg, alice_agent):
    """Ruitz a accepté ses deux devis (messagerie, clé, accompagnement) ; une
    clé remise, la messagerie du CDG résiliée."""
    cdg = devis_services.devis_emettre(devis=brouillon_cdg, par=alice_agent)
    accepter(devis_emis, alice_agent, titulaire=("Jeanne Dupont", "Maire"))
    accepter(cdg, alice_agent)
    accompagnement = Abonnement.objects.get(devis=cdg)
    abonnements_services.abonnement_resilier(
        abonnement=accompagnement,
        fin=accompagnement.debut,
        motif="Fin du service",
        par=alice_agent,
    )
    cle = CleSignature.objects.get()
    cles_services.cle_remettre(
        cle=cle,
        titulaire_nom="Jeanne Dupont",
        titulaire_fonction="Maire",
        remise_le=datetime.date(2025, 3, 1),
        par=alice_agent,
    )
    return {"fibre": devis_emis, "cdg": cdg, "resilie": accompagnement}


def test_the_abonnements_list_links_each_row_to_its_collectivite(agent, inventaire):
    reponse = agent.get("/gestion/abonnements/liste/")

    assert reponse.status_code == 200
    page = reponse.content.decode()
    assert (
        f'href="/gestion/collectivites/{inventaire["fibre"].collectivite_id}/"' in page
    )
    assert reponse.context["page"].paginator.count == Abonnement.objects.count()
    assert "Exporter (CSV)" in page and "Exporter (XLSX)" in page


@pytest.mark.parametrize(
    ("filtres", "codes"),
    [
        ({"statut": "actif"}, {"messagerie-5go"}),
        ({"statut": "resilie"}, {"messagerie-accompagnement"}),
        ({"emetteur": "cdg"}, {"messagerie-accompagnement"}),
        ({"code": "messagerie-5go"}, {"messagerie-5go"}),
        ({"collectivite": "62727"}, {"messagerie-5go", "messagerie-accompagnement"}),
        ({"collectivite": "quercamps"}, set()),
    ],
)
def test_the_abonnements_export_respects_the_filters(agent, inventaire, filtres, codes):
    lignes = lire_csv(
        agent.get("/gestion/abonnements/liste/", {**filtres, "export": "csv"})
    )

    assert {ligne["Code prestation"] for ligne in lignes} == codes


def test_the_abonnements_export_has_states_in_french_and_amounts(agent, inventaire):
    lignes = lire_csv(agent.get("/gestion/abonnements/liste/", {"export": "csv"}))

    par_code = {ligne["Code prestation"]: ligne for ligne in lignes}
    messagerie = par_code["messagerie-5go"]
    assert messagerie["Montant annuel TTC"] == "60,00"
    assert messagerie["État"] == "Actif"
    assert messagerie["Devis source"] == inventaire["fibre"].numero
    assert (messagerie["Code INSEE"], messagerie["SIREN"]) == ("62727", "216207274")
    resilie = par_code["messagerie-accompagnement"]
    assert resilie["État"] == "Résilié"
    assert resilie["Motif de la fin"] == "Fin du service"


def test_the_keys_list_and_export_filter_by_state_and_expiry(agent, inventaire):
    avant = {"expire_avant": "01/03/2026", "statut": "active"}
    trop_tot = {"expire_avant": "28/02/2026"}

    page = agent.get("/gestion/abonnements/cles/", avant)
    (ligne,) = lire_csv(
        agent.get("/gestion/abonnements/cles/", {**avant, "export": "csv"})
    )
    aucune = lire_csv(
        agent.get("/gestion/abonnements/cles/", {**trop_tot, "export": "csv"})
    )

    assert page.context["page"].paginator.count == 1
    assert f'href="/gestion/collectivites/{inventaire["fibre"].collectivite_id}/"' in (
        page.content.decode()
    )
    assert ligne["Titulaire"] == "Jeanne Dupont"
    assert ligne["Expire le"] == "01/03/2026"
    assert ligne["État"] == "Active"
    assert ligne["Mode de remise"] == "Remise au CDG"
    assert aucune == []


def test_a_bad_filter_date_is_a_french_message_and_no_file(agent, inventaire):
    reponse = agent.get(
        "/gestion/abonnements/cles/", {"expire_avant": "31/02/2026", "export": "xlsx"}
    )

    assert reponse.status_code == 200
    assert reponse["Content-Type"].startswith("text/html")
    page = reponse.content.decode()
    assert "Saisissez une date au format JJ/MM/AAAA." in page
    assert "Corrigez les filtres signalés avant d&#x27;exporter" in page


# --- Pour toutes les listes ---------------------------------------------------------


@pytest.mark.parametrize("url", LISTES)
def test_the_export_buttons_keep_the_current_filters(agent, url):
    reponse = agent.get(url, {"statut": "actif", "page": "2"})

    page = reponse.content.decode()
    assert 'href="?export=csv&amp;statut=actif"' in page
    assert 'href="?export=xlsx&amp;statut=actif"' in page


@pytest.mark.parametrize("format", ["csv", "xlsx"])
def test_a_formula_in_a_collectivite_name_comes_out_neutralised(
    agent, grille_2024_14, alice_agent, format
):
    piege = CollectiviteFactory(nom=FORMULE, siret="")
    ConventionFactory(collectivite=piege, signee=True)
    fibre, _ = devis_emis_pour(piege, par=alice_agent)
    accepter(fibre, alice_agent)
    lire = lire_csv if format == "csv" else lire_xlsx

    for url, colonne in [
        ("/gestion/collectivites/", "Nom"),
        ("/gestion/conventions/", "Collectivité"),
        ("/gestion/devis/", "Collectivité"),
        ("/gestion/abonnements/liste/", "Collectivité"),
        ("/gestion/abonnements/cles/", "Collectivité"),
    ]:
        lignes = lire(agent.get(url, {"export": format}))
        assert {ligne[colonne] for ligne in lignes} == {"'" + FORMULE}, url


def test_xlsx_cells_are_text_not_formulas():
    contenu = contenu_tableur(
        ["Nom", "Montant"], [[FORMULE, Decimal("-12.50")]], "xlsx"
    )

    feuille = openpyxl.load_workbook(io.BytesIO(contenu)).active
    assert feuille["A2"].data_type == "s"
    assert feuille["A2"].value == "'" + FORMULE
    assert feuille["B2"].value == -12.5  # un nombre négatif reste un nombre
    assert feuille["B2"].number_format == "#,##0.00"


@pytest.mark.parametrize(
    ("texte", "attendu"),
    [
        ("=1+1", "'=1+1"),
        ("+33 3 21", "'+33 3 21"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ("Ruitz", "Ruitz"),
        ("Saint-Omer", "Saint-Omer"),
    ],
)
def test_dangerous_cell_starts_are_neutralised(texte, attendu):
    assert neutraliser(texte) == attendu


def test_csv_numbers_are_french_and_negative_amounts_stay_numbers():
    contenu = contenu_tableur(
        ["Montant", "Date"], [[Decimal("-1234.5"), datetime.date(2025, 1, 31)]], "csv"
    )

    assert contenu.decode("utf-8") == "\ufeffMontant;Date\r\n-1234,50;31/01/2025\r\n"


def test_control_characters_do_not_break_the_xlsx():
    contenu = contenu_tableur(["Nom"], [["Ruitz\x00\x1b=1"]], "xlsx")

    feuille = openpyxl.load_workbook(io.BytesIO(contenu)).active
    assert feuille["A2"].value == "Ruitz=1"


def test_an_export_costs_the_same_queries_for_ten_or_forty_devis(
    agent, ruitz, alice_agent
):
    def requetes() -> int:
        with CaptureQueriesContext(connection) as capture:
            reponse = agent.get("/gestion/devis/", {"export": "xlsx"})
        assert reponse.status_code == 200
        return len(capture)

    for _ in range(5):
        devis_emis_pour(ruitz, par=alice_agent, emettre=False)
    avec_dix = requetes()
    for _ in range(15):
        devis_emis_pour(ruitz, par=alice_agent, emettre=False)

    assert requetes() == avec_dix


@pytest.mark.parametrize("url", LISTES)
@pytest.mark.parametrize("format", ["csv", "xlsx"])
def test_a_stranger_or_anonymous_cannot_export(client, sophie, url, format):
    anonyme = client.get(url, {"export": format})
    client.force_login(sophie)
    mairie = client.get(url, {"export": format})

    assert anonyme.status_code == 302
    assert anonyme["Location"].startswith("/connexion/")
    assert mairie.status_code == 403
    for reponse in (anonyme, mairie):
        assert "attachment" not in reponse.get("Content-Disposition", "")
