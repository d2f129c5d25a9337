"""Comparer un brouillon de grille à la grille en vigueur : ce que chaque
collectivité abonnée paierait par an, par émetteur, sur l'une puis l'autre —
exactement ce que chiffrerait son renouvellement."""

from __future__ import annotations

import csv
import datetime
import io
from decimal import Decimal

import openpyxl
import pytest
from django.utils import timezone

from abonnements import services
from abonnements.comparaison import comparer_grilles, lire_tri, trier
from abonnements.models import Abonnement, DemandeRenouvellee, Renouvellement
from conventions.models import Collectivite
from devis import services as devis_services
from tarifs.calcul import EMETTEURS, LigneDemandee
from tarifs.models import Tarif, TarifCategorie
from tarifs.services import grille_dupliquer, grille_publier
from tests.factories import CollectiviteFactory, ConventionFactory, UtilisateurFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("pdf_rapide")]

ANNEE = timezone.localdate().year + 1
JOUR = datetime.date(ANNEE, 1, 1)


def souscrire(collectivite, agent, lignes) -> None:
    """Une demande chiffrée, émise et acceptée sur papier : l'inventaire."""
    for brouillon in devis_services.devis_creer_brouillons(
        collectivite=collectivite, lignes=lignes, par=agent
    ):
        devis = devis_services.devis_emettre(devis=brouillon, par=agent)
        devis_services.devis_accepter(
            devis=devis,
            signataire_nom="Jeanne Dupont",
            signataire_qualite="Maire",
            par=agent,
            canal="papier",
        )


def _commune(nom, population, grille):
    collectivite = CollectiviteFactory(nom=nom, population=population)
    ConventionFactory(collectivite=collectivite, grille=grille, signee=True)
    return collectivite


@pytest.fixture
def abonnees(ruitz, alice_agent, grille_2024_14):
    """Ruitz (catégorie B) : 3 comptes 5 Go, une clé (unique : pas un
    abonnement) et le forfait ; Quercamps (A) : un nom de domaine et la
    sauvegarde ; Beuvry : un antivirus résilié (hors comparaison)."""
    souscrire(
        ruitz,
        alice_agent,
        [
            LigneDemandee("messagerie-5go", 3),
            LigneDemandee("cle-1an-cdg", 1),
            LigneDemandee("forfait-categorie", 1),
        ],
    )
    quercamps = _commune("Quercamps", 400, grille_2024_14)
    souscrire(
        quercamps,
        alice_agent,
        [LigneDemandee("nom-de-domaine", 1), LigneDemandee("sauvegarde-abonnement", 1)],
    )
    beuvry = _commune("Beuvry", 9500, grille_2024_14)
    souscrire(beuvry, alice_agent, [LigneDemandee("antivirus-abonnement", 5)])
    for abonnement in Abonnement.objects.filter(collectivite=beuvry):
        services.abonnement_resilier(
            abonnement=abonnement,
            fin=timezone.localdate(),
            motif="Changement de prestataire",
            par=alice_agent,
        )
    return {"ruitz": ruitz, "quercamps": quercamps, "beuvry": beuvry}


def _tarif(grille, code, emetteur):
    return Tarif.objects.get(
        prestation__grille=grille, prestation__code=code, emetteur=emetteur
    )


@pytest.fixture
def brouillon(grille_2024_14):
    """La grille de l'an prochain, en brouillon : compte 5 Go 20 → 22 €,
    accompagnement du forfait B 50 → 60 €, sauvegarde 463 → 470 €."""
    copie = grille_dupliquer(grille=grille_2024_14)
    copie.reference = f"{ANNEE}/02"
    copie.date_effet = JOUR
    copie.save()
    Tarif.objects.filter(pk=_tarif(copie, "messagerie-5go", "fibre").pk).update(
        prix_unitaire=Decimal("22.00")
    )
    TarifCategorie.objects.filter(
        tarif=_tarif(copie, "forfait-categorie", "cdg"), categorie__code="B"
    ).update(montant=Decimal("60.00"))
    Tarif.objects.filter(pk=_tarif(copie, "sauvegarde-abonnement", "fibre").pk).update(
        prix_unitaire=Decimal("470.00")
    )
    return copie


def _par_nom(comparaison) -> dict:
    return {
        ligne.collectivite.nom: {
            e: (ligne.par_emetteur[e].avant.total, ligne.par_emetteur[e].apres.total)
            for e in EMETTEURS
        }
        for ligne in comparaison.lignes
    }


def test_each_subscribed_collectivite_is_priced_on_both_grids(abonnees, brouillon):
    comparaison = comparer_grilles(grille=brouillon)

    assert comparaison.jour == JOUR
    assert comparaison.reference.reference == "2024/14"
    assert _par_nom(comparaison) == {
        # 3 × 20 € + forfait B 51 € ; M (3 comptes) 50 € + forfait B 50 €.
        "Ruitz": {
            "fibre": (Decimal("111.00"), Decimal("117.00")),
            "cdg": (Decimal("100.00"), Decimal("110.00")),
        },
        # 15 € + 463 € ; accompagnement de la sauvegarde 50 €.
        "Quercamps": {
            "fibre": (Decimal("478.00"), Decimal("485.00")),
            "cdg": (Decimal("50.00"), Decimal("50.00")),
        },
    }
    ruitz = next(
        ligne for ligne in comparaison.lignes if ligne.collectivite.nom == "Ruitz"
    )
    assert ruitz.total_avant == Decimal("211.00")
    assert ruitz.total_apres == Decimal("227.00")
    assert ruitz.total_ecart == Decimal("16.00")


def test_the_totals_are_the_sums_of_the_per_collectivite_totals(abonnees, brouillon):
    comparaison = comparer_grilles(grille=brouillon)

    for emetteur in EMETTEURS:
        for cote in ("avant", "apres"):
            assert comparaison.total(emetteur, cote) == sum(
                getattr(ligne.par_emetteur[emetteur], cote).total
                for ligne in comparaison.lignes
            )
        assert comparaison.ecart(emetteur) == sum(
            ligne.par_emetteur[emetteur].ecart for ligne in comparaison.lignes
        )
    assert comparaison.total_avant == sum(x.total_avant for x in comparaison.lignes)
    assert comparaison.total_apres == sum(x.total_apres for x in comparaison.lignes)
    assert (comparaison.total("fibre", "apres"), comparaison.total("cdg", "apres")) == (
        Decimal("602.00"),
        Decimal("160.00"),
    )


def _renouvellement_chiffre(agent) -> dict[str, Decimal]:
    campagne = Renouvellement.objects.create(
        annee=ANNEE, date_renouvellement=JOUR, lance_par=agent
    )
    services.renouvellement_executer(campagne.pk)
    totaux = dict.fromkeys(EMETTEURS, Decimal("0.00"))
    for renouvelee in DemandeRenouvellee.objects.filter(annee=ANNEE):
        for devis in renouvelee.demande.devis.all():
            totaux[devis.emetteur.code] += devis.total_annuel
    return totaux


def test_the_comparison_equals_the_renewal_priced_on_each_grid(
    abonnees, brouillon, alice_agent
):
    """Avant publication, la simulation du renouvellement (grille en vigueur)
    donne les totaux « avant » ; une fois la grille publiée, le renouvellement
    lui-même donne les totaux « après »."""
    comparaison = comparer_grilles(grille=brouillon)
    simulation = services.renouvellement_simuler(annee=ANNEE)
    assert {e: simulation.annuel[e] for e in EMETTEURS} == {
        e: comparaison.total(e, "avant") for e in EMETTEURS
    }

    grille_publier(grille=brouillon)
    assert _renouvellement_chiffre(alice_agent) == {
        e: comparaison.total(e, "apres") for e in EMETTEURS
    }


def test_a_collectivite_that_cannot_be_priced_is_listed_with_the_reason(
    abonnees, brouillon
):
    Collectivite.objects.filter(pk=abonnees["ruitz"].pk).update(population=None)

    comparaison = comparer_grilles(grille=brouillon)

    ruitz = next(
        ligne for ligne in comparaison.lignes if ligne.collectivite.nom == "Ruitz"
    )
    assert ruitz.total_avant is None and ruitz.total_apres is None
    assert any("Ruitz" in remarque for remarque in ruitz.remarques)
    assert comparaison.total("fibre", "apres") == Decimal("485.00")


def test_a_price_that_becomes_sur_devis_is_flagged(abonnees, brouillon):
    TarifCategorie.objects.filter(
        tarif=_tarif(brouillon, "forfait-categorie", "cdg"), categorie__code="B"
    ).update(montant=None)

    comparaison = comparer_grilles(grille=brouillon)

    ruitz = next(
        ligne for ligne in comparaison.lignes if ligne.collectivite.nom == "Ruitz"
    )
    assert ruitz.par_emetteur["cdg"].apres.sur_devis
    assert ruitz.par_emetteur["cdg"].apres.total == Decimal("50.00")


@pytest.mark.parametrize(
    "tri, ordre",
    [
        ("nom", ["Quercamps", "Ruitz"]),
        ("-nom", ["Ruitz", "Quercamps"]),
        ("fibre_avant", ["Ruitz", "Quercamps"]),
        ("-cdg_ecart", ["Ruitz", "Quercamps"]),
        ("cdg_ecart", ["Quercamps", "Ruitz"]),
        ("-total_apres", ["Quercamps", "Ruitz"]),
        ("n'importe quoi", ["Quercamps", "Ruitz"]),
    ],
)
def test_the_rows_sort_by_any_column(abonnees, brouillon, tri, ordre):
    comparaison = comparer_grilles(grille=brouillon)
    colonne, decroissant = lire_tri(tri)
    lignes = trier(comparaison.lignes, colonne, decroissant)
    assert [ligne.collectivite.nom for ligne in lignes] == ordre


# --- La page du back office -----------------------------------------------------


def url(grille) -> str:
    return f"/gestion/abonnements/comparaison/{grille.pk}/"


def test_an_agent_sees_the_comparison_per_collectivite_and_in_total(
    agent, abonnees, brouillon
):
    reponse = agent.get(url(brouillon), {"tri": "-total_ecart"})

    assert reponse.status_code == 200
    texte = reponse.content.decode()
    assert f"Ce que coûterait la grille {ANNEE}/02 (brouillon)" in texte
    assert "la grille en vigueur <strong>2024/14</strong>" in texte
    assert "602,00\xa0€" in texte and "160,00\xa0€" in texte  # totaux après
    assert texte.index("Ruitz") < texte.index("Quercamps")  # écart 16 € puis 7 €
    assert 'aria-sort="descending"' in texte
    assert "Beuvry" not in texte
    # Les prix qui changent, sous le tableau.
    assert "Messagerie — compte 5 Go" in texte and "22,00\xa0€" in texte


def test_the_comparison_exports_as_csv_and_xlsx(agent, abonnees, brouillon):
    reponse = agent.get(url(brouillon), {"export": "csv", "tri": "nom"})
    assert reponse["Content-Type"].startswith("text/csv")
    lignes = list(
        csv.reader(io.StringIO(reponse.content.decode("utf-8-sig")), delimiter=";")
    )
    entetes, quercamps, ruitz = lignes
    assert entetes[0] == "Collectivité" and "Remarques" in entetes
    assert entetes[3] == "La Fibre Numérique 59-62 — grille 2024/14 (€/an)"
    assert ruitz[:1] + ruitz[3:12] == [
        "Ruitz",
        "111,00",
        "117,00",
        "6,00",
        "100,00",
        "110,00",
        "10,00",
        "211,00",
        "227,00",
        "16,00",
    ]

    classeur = agent.get(url(brouillon), {"export": "xlsx"})
    feuille = openpyxl.load_workbook(io.BytesIO(classeur.content)).active
    rangees = list(feuille.iter_rows(values_only=True))
    assert [r[0] for r in rangees] == ["Collectivité", "Quercamps", "Ruitz"]
    assert rangees[2][4] == Decimal("117.00") or rangees[2][4] == 117


def test_only_agents_see_the_comparison(client, abonnees, brouillon):
    assert client.get(url(brouillon)).status_code == 302
    client.force_login(UtilisateurFactory())
    assert client.get(url(brouillon)).status_code == 403


def test_an_unknown_grid_is_404(agent, db):
    assert agent.get("/gestion/abonnements/comparaison/999999/").status_code == 404


def test_without_subscriptions_the_page_says_so(agent, brouillon):
    reponse = agent.get(url(brouillon))
    assert reponse.status_code == 200
    assert "Aucune collectivité n'a d'abonnement actif" in reponse.text
