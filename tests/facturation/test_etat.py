"""L'état des sommes à facturer (domaine §13) : par émetteur et par période, les
devis acceptés (renouvellements compris), une ligne par ligne de devis, les
montants unique et annuel, la période de service ; totaux à l'écran, CSV et
XLSX à télécharger."""

from __future__ import annotations

import csv
import datetime
import io
from decimal import Decimal
from unittest import mock
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from django.db.models import Sum

from abonnements import services as abonnements_services
from abonnements.models import Abonnement, DemandeRenouvellee, Renouvellement
from conventions.models import Convention
from devis import services as devis_services
from devis.models import Devis
from facturation.etat import etat_des_sommes, fin_de_service
from tarifs.calcul import LigneDemandee
from tests.factories import CollectiviteFactory, ConventionFactory, devis_emis_pour

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("pdf_rapide")]

PARIS = ZoneInfo("Europe/Paris")
EMISSION = datetime.date(2025, 1, 6)
URL = "/gestion/facturation/etat/"


def accepter_le(devis, quand: datetime.datetime, agent) -> Devis:
    """Le bon pour accord enregistré à ``quand`` (heure simulée)."""
    with mock.patch("django.utils.timezone.now", return_value=quand):
        return devis_services.devis_accepter(
            devis=devis,
            signataire_nom="Jeanne Dupont",
            signataire_qualite="Maire",
            par=agent,
            canal="papier",
        )


@pytest.fixture
def quercamps(grille_2024_14):
    collectivite = CollectiviteFactory(
        nom="Quercamps", code_insee="62675", siren="216206755", siret="", population=400
    )
    ConventionFactory(
        collectivite=collectivite,
        grille=grille_2024_14,
        statut=Convention.Statut.SIGNEE,
        date_effet=datetime.date(2024, 5, 2),
    )
    return collectivite


@pytest.fixture
def periode(ruitz, quercamps, alice_agent):
    """Ruitz : devis de La Fibre accepté le 10/01/2025, du CDG le 31/01/2025 à
    23 h 30 (heure de Paris) ; Quercamps : devis de La Fibre accepté le
    01/02/2025 à 0 h 15, un autre refusé, un autre accepté puis annulé."""
    fibre, cdg = devis_emis_pour(ruitz, par=alice_agent, jour=EMISSION)
    (quercamps_fibre,) = devis_emis_pour(
        quercamps,
        par=alice_agent,
        jour=EMISSION,
        lignes=[
            LigneDemandee("nom-de-domaine", 2),
            LigneDemandee("page-internet-mise-en-service", 1),
        ],
    )
    (refuse,) = devis_emis_pour(
        quercamps,
        par=alice_agent,
        jour=EMISSION,
        lignes=[LigneDemandee("antivirus-abonnement", 4)],
    )
    (annule,) = devis_emis_pour(
        quercamps,
        par=alice_agent,
        jour=EMISSION,
        lignes=[LigneDemandee("page-internet", 1)],
    )
    fibre = accepter_le(
        fibre, datetime.datetime(2025, 1, 10, 10, tzinfo=PARIS), alice_agent
    )
    cdg = accepter_le(
        cdg, datetime.datetime(2025, 1, 31, 23, 30, tzinfo=PARIS), alice_agent
    )
    quercamps_fibre = accepter_le(
        quercamps_fibre, datetime.datetime(2025, 2, 1, 0, 15, tzinfo=PARIS), alice_agent
    )
    with mock.patch(
        "django.utils.timezone.now",
        return_value=datetime.datetime(2025, 1, 20, 9, tzinfo=PARIS),
    ):
        devis_services.devis_refuser(
            devis=refuse, motif="Pas de budget", par=alice_agent, canal="papier"
        )
    annule = accepter_le(
        annule, datetime.datetime(2025, 1, 15, 9, tzinfo=PARIS), alice_agent
    )
    devis_services.devis_annuler(
        devis=annule, motif="Erreur de saisie", par=alice_agent
    )
    return {"fibre": fibre, "cdg": cdg, "quercamps": quercamps_fibre}


def sommes_independantes(emetteur: str, du: datetime.date, au: datetime.date):
    """Les totaux tirés des devis eux-mêmes (pas de leurs lignes)."""
    debut = datetime.datetime.combine(du, datetime.time.min, tzinfo=PARIS)
    fin = datetime.datetime.combine(
        au + datetime.timedelta(days=1), datetime.time.min, tzinfo=PARIS
    )
    return Devis.objects.filter(
        statut="accepte",
        emetteur__code=emetteur,
        accepte_le__gte=debut,
        accepte_le__lt=fin,
    ).aggregate(unique=Sum("total_unique"), annuel=Sum("total_annuel"))


def lire_csv(reponse) -> list[dict]:
    texte = reponse.content.decode("utf-8")
    assert texte.startswith("\ufeff")
    return list(
        csv.DictReader(io.StringIO(texte.removeprefix("\ufeff")), delimiter=";")
    )


def lire_xlsx(reponse) -> list[dict]:
    feuille = openpyxl.load_workbook(io.BytesIO(reponse.content)).active
    lignes = list(feuille.iter_rows(values_only=True))
    return [dict(zip(lignes[0], ligne, strict=True)) for ligne in lignes[1:]]


# --- Le sélecteur ---------------------------------------------------------------


def test_the_state_has_one_line_per_devis_line_with_identity_and_service_period(
    periode,
):
    etat = etat_des_sommes(
        emetteur="fibre", du=datetime.date(2025, 1, 1), au=datetime.date(2025, 1, 31)
    )

    (devis,) = etat.devis
    assert devis.numero == periode["fibre"].numero
    assert devis.accepte_le == datetime.date(2025, 1, 10)
    assert (devis.collectivite, devis.identifiant, devis.code_insee) == (
        "Ruitz",
        "216207274",  # pas de SIRET : le SIREN
        "62727",
    )
    lignes = {ligne.code: ligne for ligne in devis.lignes}
    messagerie, cle = lignes["messagerie-5go"], lignes["cle-1an-cdg"]
    assert (messagerie.quantite, messagerie.prix_unitaire, messagerie.montant) == (
        3,
        Decimal("20.00"),
        Decimal("60.00"),
    )
    assert (messagerie.montant_unique, messagerie.montant_annuel) == (
        Decimal("0.00"),
        Decimal("60.00"),
    )
    assert (messagerie.debut_service, messagerie.fin_service) == (
        datetime.date(2025, 1, 10),
        datetime.date(2026, 1, 9),
    )
    assert (cle.montant_unique, cle.montant_annuel) == (
        Decimal("76.80"),
        Decimal("0.00"),
    )
    assert (cle.debut_service, cle.fin_service) == (None, None)


@pytest.mark.parametrize(
    ("emetteur", "du", "au"),
    [
        ("fibre", datetime.date(2025, 1, 1), datetime.date(2025, 12, 31)),
        ("fibre", datetime.date(2025, 2, 1), datetime.date(2025, 2, 28)),
        ("cdg", datetime.date(2025, 1, 1), datetime.date(2025, 12, 31)),
        ("cdg", datetime.date(2025, 2, 1), datetime.date(2025, 12, 31)),
    ],
)
def test_totals_equal_the_accepted_devis_amounts_computed_independently(
    periode, emetteur, du, au
):
    etat = etat_des_sommes(emetteur=emetteur, du=du, au=au)
    attendu = sommes_independantes(emetteur, du, au)

    assert etat.total_unique == (attendu["unique"] or Decimal("0.00"))
    assert etat.total_annuel == (attendu["annuel"] or Decimal("0.00"))
    assert etat.total == etat.total_unique + etat.total_annuel


def test_the_whole_year_for_la_fibre_sums_to_the_known_amounts(periode):
    """Ruitz : 60,00 € annuel + 76,80 € unique ; Quercamps : 2 noms de domaine
    (30,00 € annuel) + une mise en service de page (50,00 € unique)."""
    etat = etat_des_sommes(
        emetteur="fibre", du=datetime.date(2025, 1, 1), au=datetime.date(2025, 12, 31)
    )

    assert [d.numero for d in etat.devis] == [
        periode["fibre"].numero,
        periode["quercamps"].numero,
    ]
    assert (etat.total_unique, etat.total_annuel, etat.total) == (
        Decimal("126.80"),
        Decimal("90.00"),
        Decimal("216.80"),
    )
    assert etat.nb_collectivites == 2


def test_refused_cancelled_and_other_issuer_devis_are_left_out(periode):
    etat = etat_des_sommes(
        emetteur="fibre", du=datetime.date(2025, 1, 1), au=datetime.date(2025, 12, 31)
    )

    codes = {ligne.code for devis in etat.devis for ligne in devis.lignes}
    assert "antivirus-abonnement" not in codes  # refusé
    assert "page-internet" not in codes  # accepté puis annulé
    assert "messagerie-accompagnement" not in codes  # le CDG l'émet


def test_the_period_bounds_are_whole_days_in_paris_time(periode):
    """Accepté le 31/01 à 23 h 30 à Paris (22 h 30 UTC) : dans janvier ; le
    01/02 à 0 h 15 (23 h 15 UTC la veille) : dans février."""
    janvier = (datetime.date(2025, 1, 1), datetime.date(2025, 1, 31))
    fevrier = (datetime.date(2025, 2, 1), datetime.date(2025, 2, 28))

    cdg_janvier = etat_des_sommes(emetteur="cdg", du=janvier[0], au=janvier[1])
    cdg_fevrier = etat_des_sommes(emetteur="cdg", du=fevrier[0], au=fevrier[1])
    fibre_fevrier = etat_des_sommes(emetteur="fibre", du=fevrier[0], au=fevrier[1])

    assert [d.numero for d in cdg_janvier.devis] == [periode["cdg"].numero]
    assert cdg_fevrier.devis == []
    assert [d.numero for d in fibre_fevrier.devis] == [periode["quercamps"].numero]
    assert fibre_fevrier.devis[0].accepte_le == datetime.date(2025, 2, 1)


def test_the_service_period_starts_with_the_abonnement_an_agent_set(
    periode, alice_agent
):
    abonnement = Abonnement.objects.get(devis=periode["fibre"], code="messagerie-5go")
    abonnements_services.abonnement_fixer_debut(
        abonnement=abonnement, debut=datetime.date(2025, 3, 1), par=alice_agent
    )

    etat = etat_des_sommes(
        emetteur="fibre", du=datetime.date(2025, 1, 1), au=datetime.date(2025, 1, 31)
    )

    (messagerie,) = [
        ligne for ligne in etat.devis[0].lignes if ligne.code == "messagerie-5go"
    ]
    assert (messagerie.debut_service, messagerie.fin_service) == (
        datetime.date(2025, 3, 1),
        datetime.date(2026, 2, 28),
    )


@pytest.mark.parametrize(
    ("debut", "fin"),
    [
        (datetime.date(2025, 1, 1), datetime.date(2025, 12, 31)),
        (datetime.date(2025, 3, 1), datetime.date(2026, 2, 28)),
        (datetime.date(2024, 2, 29), datetime.date(2025, 2, 28)),
        (datetime.date(2023, 3, 1), datetime.date(2024, 2, 29)),
    ],
)
def test_a_year_of_service_ends_the_day_before_its_anniversary(debut, fin):
    assert fin_de_service(debut) == fin


def test_a_renewal_devis_is_in_the_state_with_its_year(ruitz, alice_agent):
    (renouvele,) = devis_emis_pour(
        ruitz,
        par=alice_agent,
        jour=EMISSION,
        lignes=[LigneDemandee("nom-de-domaine", 1)],
    )
    campagne = Renouvellement.objects.create(
        annee=2025, date_renouvellement=datetime.date(2025, 1, 1), lance_par=alice_agent
    )
    DemandeRenouvellee.objects.create(
        annee=2025,
        collectivite=ruitz,
        demande=renouvele.demande,
        renouvellement=campagne,
    )
    accepter_le(renouvele, datetime.datetime(2025, 1, 8, 14, tzinfo=PARIS), alice_agent)

    etat = etat_des_sommes(
        emetteur="fibre", du=datetime.date(2025, 1, 1), au=datetime.date(2025, 1, 31)
    )

    (devis,) = etat.devis
    assert devis.renouvellement == 2025
    assert devis.total_annuel == Decimal("15.00")


def test_the_printed_identity_is_kept_when_the_collectivite_changes_later(periode):
    """L'état d'une période passée ne change pas avec la fiche ; un identifiant
    absent à l'émission est pris sur la fiche d'aujourd'hui."""
    ruitz = periode["fibre"].collectivite
    ruitz.nom = "Ruitz (nouveau nom)"
    ruitz.siret = "21620727400013"
    ruitz.save()

    (devis,) = etat_des_sommes(
        emetteur="fibre", du=datetime.date(2025, 1, 1), au=datetime.date(2025, 1, 31)
    ).devis

    assert devis.collectivite == "Ruitz"
    assert devis.identifiant == "21620727400013"


# --- La page et les fichiers --------------------------------------------------


ANNEE_2025 = {"emetteur": "fibre", "du": "01/01/2025", "au": "31/12/2025"}


def test_the_page_shows_the_totals_of_the_period(agent, periode):
    reponse = agent.get(URL, ANNEE_2025)

    assert reponse.status_code == 200
    page = reponse.content.decode()
    assert "126,80\u00a0€" in page  # unique
    assert "90,00\u00a0€" in page  # annuel
    assert "216,80\u00a0€" in page  # total
    assert periode["fibre"].numero in page
    assert f'href="/gestion/collectivites/{periode["fibre"].collectivite_id}/"' in page
    assert "?export=csv&amp;emetteur=fibre&amp;du=01%2F01%2F2025" in page


def test_the_csv_has_french_decimals_and_sums_to_the_totals(agent, periode):
    reponse = agent.get(URL, {**ANNEE_2025, "export": "csv"})

    assert reponse["Content-Type"].startswith("text/csv")
    assert "attachment" in reponse["Content-Disposition"]
    lignes = lire_csv(reponse)
    messagerie = next(
        ligne for ligne in lignes if ligne["Code prestation"] == "messagerie-5go"
    )
    assert messagerie == {
        "Émetteur": periode["fibre"].emetteur.nom,
        "N° devis": periode["fibre"].numero,
        "Accepté le": "10/01/2025",
        "Renouvellement": "",
        "Collectivité": "Ruitz",
        "SIRET (ou SIREN)": "216207274",
        "Code INSEE": "62727",
        "Code prestation": "messagerie-5go",
        "Libellé": messagerie["Libellé"],
        "Quantité": "3",
        "Prix unitaire TTC": "20,00",
        "Montant TTC": "60,00",
        "Périodicité": "Annuelle",
        "Mode": "Tarif",
        "Montant unique TTC": "0,00",
        "Montant annuel TTC": "60,00",
        "Début du service": "10/01/2025",
        "Fin du service": "09/01/2026",
    }
    somme = sum(Decimal(ligne["Montant TTC"].replace(",", ".")) for ligne in lignes)
    assert somme == Decimal("216.80")


def test_the_xlsx_keeps_numbers_and_dates(agent, periode):
    reponse = agent.get(URL, {**ANNEE_2025, "export": "xlsx"})

    lignes = lire_xlsx(reponse)
    assert len(lignes) == sum(
        devis.lignes.count() for devis in (periode["fibre"], periode["quercamps"])
    )
    cle = next(ligne for ligne in lignes if ligne["Code prestation"] == "cle-1an-cdg")
    assert Decimal(str(cle["Montant unique TTC"])) == Decimal("76.80")
    assert cle["Accepté le"] == datetime.datetime(2025, 1, 10)
    total = sum(Decimal(str(ligne["Montant TTC"])) for ligne in lignes)
    assert total.quantize(Decimal("0.01")) == Decimal("216.80")


@pytest.mark.parametrize(
    ("donnees", "message"),
    [
        (
            {"emetteur": "fibre", "du": "31/02/2025", "au": "31/12/2025"},
            "Saisissez une date au format JJ/MM/AAAA",
        ),
        (
            {"emetteur": "fibre", "du": "01/01/0001", "au": "31/12/2025"},
            "Saisissez une année entre 2000 et 2100.",
        ),
        (
            {"emetteur": "fibre", "du": "01/02/2025", "au": "01/01/2025"},
            "précède son début",
        ),
        (
            {"emetteur": "mairie", "du": "01/01/2025", "au": "31/12/2025"},
            "Choisissez l&#x27;émetteur",
        ),
        (
            {"emetteur": "fibre", "du": "9" * 5000, "au": "31/12/2025"},
            "Saisissez une date au format JJ/MM/AAAA",
        ),
        ({"emetteur": "fibre", "au": "31/12/2025"}, "Indiquez le premier jour"),
    ],
)
def test_bad_input_gets_a_french_message_and_keeps_what_was_typed(
    agent, periode, donnees, message
):
    reponse = agent.get(URL, donnees)

    assert reponse.status_code == 200
    page = reponse.content.decode()
    assert message in page
    for champ in ("du", "au"):  # rien de perdu : la saisie se réaffiche
        if champ in donnees:
            assert f'value="{donnees[champ]}"' in page
    assert "Devis de la période" not in page


def test_an_export_with_bad_input_is_the_page_with_its_messages_not_a_file(
    agent, periode
):
    reponse = agent.get(
        URL,
        {"emetteur": "fibre", "du": "32/01/2025", "au": "31/12/2025", "export": "csv"},
    )

    assert reponse.status_code == 200
    assert reponse["Content-Type"].startswith("text/html")
    assert (
        "Corrigez les filtres signalés avant d&#x27;exporter"
        in reponse.content.decode()
    )


def test_without_parameters_the_page_is_the_form_with_this_year(agent, periode):
    reponse = agent.get(URL)

    assert reponse.status_code == 200
    page = reponse.content.decode()
    assert 'name="du"' in page and "Devis de la période" not in page


@pytest.mark.parametrize("export", ["", "csv", "xlsx"])
def test_a_stranger_or_anonymous_cannot_see_or_download_the_state(
    client, periode, sophie, export
):
    parametres = {**ANNEE_2025, "export": export}

    anonyme = client.get(URL, parametres)
    client.force_login(sophie)
    mairie = client.get(URL, parametres)

    assert anonyme.status_code == 302
    assert anonyme["Location"].startswith("/connexion/")
    assert mairie.status_code == 403
    for reponse in (anonyme, mairie):
        assert "attachment" not in reponse.get("Content-Disposition", "")


def test_the_devis_list_and_the_navigation_lead_to_the_lists(agent, alice_agent):
    devis = agent.get("/gestion/devis/").content.decode()
    abonnements = agent.get("/gestion/abonnements/liste/").content.decode()

    assert 'href="/gestion/facturation/etat/"' in devis
    assert 'href="/gestion/abonnements/liste/"' in devis  # la navigation
    assert 'href="/gestion/abonnements/cles/"' in abonnements
    assert 'href="/gestion/abonnements/renouvellements/"' in abonnements
