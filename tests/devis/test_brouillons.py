"""Création, modification et suppression des brouillons (domaine §5, §6)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from devis import services
from devis.models import DemandeDevis, Devis, EvenementDevis, LigneDevis
from tarifs.calcul import LigneDemandee
from tests.factories import CollectiviteFactory

pytestmark = pytest.mark.django_db

ANTIVIRUS_25 = [
    LigneDemandee("antivirus-abonnement", 25),
    LigneDemandee("antivirus-mise-en-service", 25, intervention=True),
]


def _par_emetteur(brouillons):
    return {d.emetteur.code: d for d in brouillons}


def _messages(erreur: pytest.ExceptionInfo) -> str:
    return " ".join(erreur.value.messages)


def test_it_creates_one_draft_per_issuer_with_lines_and_totals(brouillons, ruitz):
    devis = _par_emetteur(brouillons)

    assert set(devis) == {"fibre", "cdg"}
    fibre, cdg = devis["fibre"], devis["cdg"]
    assert fibre.statut == Devis.Statut.BROUILLON
    assert fibre.numero is None
    assert (fibre.total_unique, fibre.total_annuel, fibre.total_premiere_annee) == (
        Decimal("76.80"),
        Decimal("60.00"),
        Decimal("136.80"),
    )
    assert (cdg.total_unique, cdg.total_annuel, cdg.total_premiere_annee) == (
        Decimal("0.00"),
        Decimal("50.00"),
        Decimal("50.00"),
    )
    assert [(lg.code, lg.mode, lg.montant) for lg in cdg.lignes.all()] == [
        ("messagerie-accompagnement", "tarif", Decimal("50.00")),
        ("cle-1an-cdg", "inclus", Decimal("0.00")),
    ]
    assert fibre.demande_id == cdg.demande_id
    demande = fibre.demande
    assert demande.statut == DemandeDevis.Statut.CHIFFREE
    assert demande.lignes_demandees == [
        {"code": "messagerie-5go", "quantite": 3, "intervention": False},
        {"code": "cle-1an-cdg", "quantite": 1, "intervention": False},
    ]
    assert EvenementDevis.objects.filter(devis=fibre, statut="brouillon").count() == 1


def test_an_issuer_with_only_included_lines_gets_no_devis(ruitz, alice_agent):
    brouillons = services.devis_creer_brouillons(
        collectivite=ruitz, lignes=[LigneDemandee("cle-1an-cdg", 1)], par=alice_agent
    )

    assert [d.emetteur.code for d in brouillons] == ["fibre"]
    assert brouillons[0].mention_inclus == (
        "Accompagnement du CDG 62 inclus : Clé de signature 1 an, remise au CDG."
    )


def test_the_accompaniment_devis_carries_no_included_mention(brouillon_cdg):
    assert brouillon_cdg.mention_inclus == ""


def test_it_records_the_category_and_the_figure_it_rests_on(ruitz, alice_agent):
    (fibre, cdg) = services.devis_creer_brouillons(
        collectivite=ruitz,
        lignes=[LigneDemandee("forfait-categorie", 1)],
        par=alice_agent,
    )

    assert (fibre.categorie, fibre.categorie_base) == (
        "B",
        "population totale 1\u00a0500 hab. (2021)",
    )
    assert fibre.total_annuel == Decimal("51.00")
    assert cdg.total_annuel == Decimal("50.00")


def test_a_category_line_needs_the_population_or_the_agents(
    grille_2024_14, organismes, alice_agent
):
    inconnue = CollectiviteFactory(population=None, population_annee=None)

    with pytest.raises(ValidationError) as erreur:
        services.devis_creer_brouillons(
            collectivite=inconnue,
            lignes=[LigneDemandee("forfait-categorie", 1)],
            par=alice_agent,
        )

    assert "population ou le nombre d'agents" in _messages(erreur)
    assert not Devis.objects.exists()


def test_a_line_without_category_does_not_need_it(
    grille_2024_14, organismes, alice_agent
):
    inconnue = CollectiviteFactory(population=None, population_annee=None)

    (fibre,) = services.devis_creer_brouillons(
        collectivite=inconnue,
        lignes=[LigneDemandee("nom-de-domaine", 2)],
        par=alice_agent,
    )

    assert fibre.total_annuel == Decimal("30.00")
    assert fibre.categorie == ""


def test_it_refuses_to_price_without_a_grid_in_force(organismes, alice_agent):
    collectivite = CollectiviteFactory()

    with pytest.raises(ValidationError) as erreur:
        services.devis_creer_brouillons(
            collectivite=collectivite,
            lignes=[LigneDemandee("nom-de-domaine", 1)],
            par=alice_agent,
        )

    assert "Aucune grille tarifaire publiée n'est en vigueur" in _messages(erreur)


@pytest.mark.parametrize(
    "lignes, message",
    [
        ([], "Ajoutez au moins une prestation"),
        ([LigneDemandee("inconnu", 1)], "Code de prestation inconnu"),
        ([LigneDemandee("nom-de-domaine", 0)], "Quantité invalide"),
        ([LigneDemandee("nom-de-domaine", 1, intervention=True)], "intervention"),
    ],
)
def test_a_malformed_request_is_refused_in_french(ruitz, alice_agent, lignes, message):
    with pytest.raises(ValidationError) as erreur:
        services.devis_creer_brouillons(
            collectivite=ruitz, lignes=lignes, par=alice_agent
        )

    assert message in _messages(erreur)
    assert not DemandeDevis.objects.exists()


def test_a_sur_devis_line_is_left_unpriced_without_a_manual_price(ruitz, alice_agent):
    devis = _par_emetteur(
        services.devis_creer_brouillons(
            collectivite=ruitz, lignes=ANTIVIRUS_25, par=alice_agent
        )
    )

    ligne = devis["cdg"].lignes.get()
    assert (ligne.mode, ligne.montant, ligne.a_chiffrer) == ("sur_devis", None, True)
    assert devis["cdg"].total_premiere_annee == Decimal("0.00")
    assert devis["fibre"].total_annuel == Decimal("425.00")


def test_a_manual_price_is_the_line_amount_with_its_justification(ruitz, alice_agent):
    devis = _par_emetteur(
        services.devis_creer_brouillons(
            collectivite=ruitz,
            lignes=ANTIVIRUS_25,
            prix_manuels={
                ("cdg", "antivirus-mise-en-service"): (
                    Decimal("380"),
                    "25 postes : 300 € + 1 demi-journée.",
                ),
                # Ignoré : la ligne n'est pas sur devis.
                ("fibre", "antivirus-abonnement"): (Decimal("1"), "non"),
            },
            par=alice_agent,
        )
    )

    ligne = devis["cdg"].lignes.get()
    assert (ligne.montant, ligne.prix_unitaire, ligne.prix_manuel) == (
        Decimal("380.00"),
        None,
        True,
    )
    assert ligne.justification == "25 postes : 300 € + 1 demi-journée."
    assert devis["cdg"].total_unique == Decimal("380.00")
    assert devis["fibre"].total_annuel == Decimal("425.00")
    assert not devis["fibre"].lignes.filter(prix_manuel=True).exists()


@pytest.mark.parametrize(
    "prix, message",
    [
        ((Decimal("380"), "  "), "Une justification est obligatoire"),
        ((Decimal("-1"), "remise"), "montant positif ou nul"),
        (("abc", "remise"), "illisible"),
    ],
)
def test_a_manual_price_is_validated_in_french(ruitz, alice_agent, prix, message):
    with pytest.raises(ValidationError) as erreur:
        services.devis_creer_brouillons(
            collectivite=ruitz,
            lignes=ANTIVIRUS_25,
            prix_manuels={("cdg", "antivirus-mise-en-service"): prix},
            par=alice_agent,
        )

    assert message in _messages(erreur)
    assert not Devis.objects.exists()


def test_it_reuses_a_given_request(ruitz, alice_agent):
    demande = DemandeDevis.objects.create(
        collectivite=ruitz, statut=DemandeDevis.Statut.DEMANDEE
    )

    brouillons = services.devis_creer_brouillons(
        collectivite=ruitz,
        lignes=[LigneDemandee("nom-de-domaine", 1)],
        par=alice_agent,
        demande=demande,
    )

    demande.refresh_from_db()
    assert brouillons[0].demande == demande
    assert demande.statut == DemandeDevis.Statut.CHIFFREE


def test_it_refuses_a_request_of_another_collectivite(ruitz, alice_agent):
    demande = DemandeDevis.objects.create(collectivite=CollectiviteFactory())

    with pytest.raises(ValidationError) as erreur:
        services.devis_creer_brouillons(
            collectivite=ruitz,
            lignes=[LigneDemandee("nom-de-domaine", 1)],
            par=alice_agent,
            demande=demande,
        )

    assert "autre collectivité" in _messages(erreur)


def test_modifying_reprices_and_drops_the_issuer_left_without_amount(
    brouillons, alice_agent
):
    demande = brouillons[0].demande
    fibre = _par_emetteur(brouillons)["fibre"]

    apres = services.devis_modifier_brouillons(
        demande=demande,
        lignes=[LigneDemandee("nom-de-domaine", 2)],
        par=alice_agent,
    )

    assert [d.pk for d in apres] == [fibre.pk]
    fibre.refresh_from_db()
    assert fibre.total_annuel == Decimal("30.00")
    assert [lg.code for lg in fibre.lignes.all()] == ["nom-de-domaine"]
    assert demande.devis.count() == 1
    demande.refresh_from_db()
    assert demande.lignes_demandees == [
        {"code": "nom-de-domaine", "quantite": 2, "intervention": False}
    ]


def test_modifying_gives_a_draft_to_an_issuer_gaining_lines(ruitz, alice_agent):
    (fibre,) = services.devis_creer_brouillons(
        collectivite=ruitz, lignes=[LigneDemandee("nom-de-domaine", 1)], par=alice_agent
    )

    apres = services.devis_modifier_brouillons(
        demande=fibre.demande,
        lignes=[LigneDemandee("nom-de-domaine", 1), LigneDemandee("messagerie-5go", 1)],
        par=alice_agent,
    )

    assert {d.emetteur.code for d in apres} == {"fibre", "cdg"}
    assert fibre.demande.devis.count() == 2


def test_modifying_is_refused_once_a_devis_of_the_request_is_issued(
    devis_emis, brouillon_cdg, alice_agent
):
    with pytest.raises(ValidationError) as erreur:
        services.devis_modifier_brouillons(
            demande=devis_emis.demande,
            lignes=[LigneDemandee("nom-de-domaine", 1)],
            par=alice_agent,
        )

    assert "déjà été émis" in _messages(erreur)
    assert brouillon_cdg.lignes.count() == 2


def test_deleting_a_draft_removes_it_and_then_its_empty_request(
    brouillon_fibre, brouillon_cdg, alice_agent
):
    demande = brouillon_fibre.demande

    services.devis_supprimer_brouillon(devis=brouillon_fibre, par=alice_agent)
    assert not Devis.objects.filter(pk=brouillon_fibre.pk).exists()
    assert DemandeDevis.objects.filter(pk=demande.pk).exists()

    services.devis_supprimer_brouillon(devis=brouillon_cdg, par=alice_agent)
    assert not DemandeDevis.objects.filter(pk=demande.pk).exists()
    assert not LigneDevis.objects.exists()


def test_an_issued_devis_cannot_be_deleted(devis_emis, alice_agent):
    with pytest.raises(ValidationError) as erreur:
        services.devis_supprimer_brouillon(devis=devis_emis, par=alice_agent)

    assert "annule" in _messages(erreur)
    assert Devis.objects.filter(pk=devis_emis.pk).exists()
