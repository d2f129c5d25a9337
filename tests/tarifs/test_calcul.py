"""Le moteur de chiffrage sur la grille 2024/14 chargée depuis son fichier.

Les montants attendus sont ceux des tableaux 1 et 2 de la référence métier
(../shared/domaine.md §3 et §4), écrits ici en toutes lettres.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tarifs import calcul
from tarifs.calcul import LigneDemandee as L

D = Decimal

# code, émetteur, prix unitaire TTC, périodicité — tableau 1, lignes à prix unitaire.
TABLEAU_1_UNITAIRE = [
    ("messagerie-mise-en-service", "fibre", "10.00", "unique"),
    ("messagerie-5go", "fibre", "20.00", "annuelle"),
    ("messagerie-illimitee", "fibre", "27.00", "annuelle"),
    ("nom-de-domaine", "fibre", "15.00", "annuelle"),
    ("page-internet", "fibre", "14.00", "annuelle"),
    ("page-internet-mise-en-service", "fibre", "50.00", "unique"),
    ("cle-1an-cdg", "fibre", "76.80", "unique"),
    ("cle-2ans-cdg", "fibre", "84.00", "unique"),
    ("cle-3ans-cdg", "fibre", "90.00", "unique"),
    ("cle-1an-transporteur", "fibre", "172.80", "unique"),
    ("cle-2ans-transporteur", "fibre", "180.00", "unique"),
    ("cle-3ans-transporteur", "fibre", "186.00", "unique"),
    ("sauvegarde-mise-en-service", "fibre", "115.00", "unique"),
    ("sauvegarde-mise-en-service", "cdg", "75.00", "unique"),
    ("sauvegarde-abonnement", "fibre", "463.00", "annuelle"),
    ("sauvegarde-abonnement", "cdg", "50.00", "annuelle"),
    ("sauvegarde-go-supplementaire", "fibre", "11.00", "annuelle"),
    ("antivirus-abonnement", "fibre", "17.00", "annuelle"),
]

# catégorie : forfait annuel fibre, mise en service fibre, accompagnement cdg.
TABLEAU_2 = {
    "A": ("26.00", "50.00", "25.00"),
    "B": ("51.00", "50.00", "50.00"),
    "C": ("128.00", "200.00", "100.00"),
    "D": ("256.00", "200.00", "100.00"),
    "E": ("639.00", "200.00", "200.00"),
    "F": ("1277.00", "200.00", "400.00"),
    "G": ("2553.00", "200.00", None),
    "H": ("5106.00", "200.00", None),
    "I": ("10212.00", "200.00", None),
}


def lignes_de(resultat, emetteur):
    return {ligne.code: ligne for ligne in resultat.pour(emetteur).lignes}


@pytest.mark.parametrize("code,emetteur,prix,periodicite", TABLEAU_1_UNITAIRE)
@pytest.mark.parametrize("quantite", [1, 3])
def test_each_unit_price_of_table_1_is_priced_exactly(
    instantane_2024_14, code, emetteur, prix, periodicite, quantite
):
    resultat = calcul.chiffrer(instantane_2024_14, [L(code, quantite)])
    ligne = lignes_de(resultat, emetteur)[code]
    assert ligne.mode == "tarif"
    assert ligne.prix_unitaire == D(prix)
    assert ligne.montant == D(prix) * quantite
    assert ligne.periodicite == periodicite


@pytest.mark.parametrize("code", ["cle-1an-cdg", "cle-2ans-cdg", "cle-3ans-cdg"])
def test_keys_handed_over_at_the_cdg_include_the_accompaniment(
    instantane_2024_14, code
):
    resultat = calcul.chiffrer(instantane_2024_14, [L(code, 2)])
    cdg = resultat.pour("cdg")
    assert [(ligne.code, ligne.mode, ligne.montant) for ligne in cdg.lignes] == [
        (code, "inclus", D("0.00"))
    ]
    assert cdg.total_premiere_annee == D("0.00")
    assert not cdg.a_emettre
    assert resultat.pour("fibre").a_emettre


@pytest.mark.parametrize(
    "code", ["cle-1an-transporteur", "cle-2ans-transporteur", "cle-3ans-transporteur"]
)
def test_keys_delivered_by_carrier_have_no_cdg_line(instantane_2024_14, code):
    resultat = calcul.chiffrer(instantane_2024_14, [L(code, 1)])
    assert resultat.pour("cdg").lignes == ()


@pytest.mark.parametrize(
    "comptes,montant",
    [
        (1, "25.00"),
        (2, "25.00"),
        (3, "50.00"),
        (5, "50.00"),
        (6, "100.00"),
        (10, "100.00"),
        (11, "150.00"),
        (20, "150.00"),
        (21, "200.00"),
        (40, "200.00"),
        (41, "250.00"),
        (60, "250.00"),
        (61, "300.00"),
    ],
)
def test_messagerie_accompaniment_follows_tier_m(instantane_2024_14, comptes, montant):
    resultat = calcul.chiffrer(instantane_2024_14, [L("messagerie-5go", comptes)])
    ligne = lignes_de(resultat, "cdg")["messagerie-accompagnement"]
    assert ligne.montant == D(montant)
    assert ligne.quantite == comptes
    assert ligne.periodicite == "annuelle"


def test_messagerie_accompaniment_counts_5go_and_unlimited_accounts_together(
    instantane_2024_14,
):
    resultat = calcul.chiffrer(
        instantane_2024_14, [L("messagerie-5go", 2), L("messagerie-illimitee", 1)]
    )
    ligne = lignes_de(resultat, "cdg")["messagerie-accompagnement"]
    assert (ligne.quantite, ligne.montant) == (3, D("50.00"))
    fibre = resultat.pour("fibre")
    assert fibre.total_annuel == D("67.00")


def test_no_mailbox_account_means_no_messagerie_accompaniment(instantane_2024_14):
    resultat = calcul.chiffrer(instantane_2024_14, [L("messagerie-mise-en-service", 4)])
    assert resultat.pour("cdg").lignes == ()
    assert resultat.pour("fibre").total_unique == D("40.00")


@pytest.mark.parametrize(
    "postes,montant",
    [
        (1, "50.00"),
        (2, "50.00"),
        (3, "100.00"),
        (5, "100.00"),
        (6, "200.00"),
        (10, "200.00"),
        (11, "300.00"),
        (20, "300.00"),
        (21, None),
        (40, None),
    ],
)
def test_antivirus_setup_with_intervention_follows_tier_a(
    instantane_2024_14, postes, montant
):
    resultat = calcul.chiffrer(
        instantane_2024_14, [L("antivirus-mise-en-service", postes, intervention=True)]
    )
    cdg = resultat.pour("cdg")
    ligne = lignes_de(resultat, "cdg")["antivirus-mise-en-service"]
    assert ligne.periodicite == "unique"
    if montant is None:
        assert (ligne.mode, ligne.montant, ligne.prix_unitaire) == (
            "sur_devis",
            None,
            None,
        )
        assert cdg.sur_devis and cdg.total_unique == D("0.00")
    else:
        assert (ligne.mode, ligne.montant) == ("tarif", D(montant))
        assert not cdg.sur_devis and cdg.total_unique == D(montant)


def test_antivirus_setup_without_intervention_costs_nothing(instantane_2024_14):
    resultat = calcul.chiffrer(instantane_2024_14, [L("antivirus-mise-en-service", 8)])
    assert resultat.pour("cdg").lignes == () and resultat.pour("fibre").lignes == ()


@pytest.mark.parametrize(
    "go,montant", [(1, "11.00"), (99, "1089.00"), (100, "1100.00"), (101, None)]
)
def test_extra_storage_beyond_100_go_is_sur_devis(instantane_2024_14, go, montant):
    resultat = calcul.chiffrer(
        instantane_2024_14, [L("sauvegarde-go-supplementaire", go)]
    )
    fibre = resultat.pour("fibre")
    ligne = fibre.lignes[0]
    if montant is None:
        assert ligne.mode == "sur_devis" and ligne.montant is None
        assert "faisabilité" in ligne.mention
        assert fibre.sur_devis
    else:
        assert ligne.montant == D(montant) and not fibre.sur_devis


@pytest.mark.parametrize("categorie", list(TABLEAU_2))
def test_each_row_of_table_2_is_priced_exactly(instantane_2024_14, categorie):
    annuel, mise_en_service, accompagnement = TABLEAU_2[categorie]
    resultat = calcul.chiffrer(
        instantane_2024_14,
        [L("forfait-categorie", 1), L("forfait-categorie-mise-en-service", 1)],
        categorie=categorie,
    )
    fibre = lignes_de(resultat, "fibre")
    assert fibre["forfait-categorie"].montant == D(annuel)
    assert fibre["forfait-categorie"].periodicite == "annuelle"
    assert fibre["forfait-categorie-mise-en-service"].montant == D(mise_en_service)
    assert fibre["forfait-categorie-mise-en-service"].periodicite == "unique"
    assert resultat.pour("fibre").total_premiere_annee == D(annuel) + D(mise_en_service)
    cdg_ligne = lignes_de(resultat, "cdg")["forfait-categorie"]
    if accompagnement is None:
        assert cdg_ligne.mode == "sur_devis" and resultat.pour("cdg").sur_devis
    else:
        assert cdg_ligne.montant == D(accompagnement)
        assert resultat.pour("cdg").total_annuel == D(accompagnement)


def test_the_example_of_the_reference_is_priced_to_the_cent(instantane_2024_14):
    resultat = calcul.chiffrer(
        instantane_2024_14,
        [L("messagerie-5go", 3), L("antivirus-mise-en-service", 8, intervention=True)],
        categorie="A",
    )
    fibre, cdg = resultat.pour("fibre"), resultat.pour("cdg")
    assert (fibre.total_unique, fibre.total_annuel, fibre.total_premiere_annee) == (
        D("0.00"),
        D("60.00"),
        D("60.00"),
    )
    assert (cdg.total_unique, cdg.total_annuel, cdg.total_premiere_annee) == (
        D("200.00"),
        D("50.00"),
        D("250.00"),
    )


def test_a_full_request_sums_one_off_and_annual_per_issuer(instantane_2024_14):
    resultat = calcul.chiffrer(
        instantane_2024_14,
        [
            L("messagerie-mise-en-service", 4),
            L("messagerie-5go", 4),
            L("sauvegarde-mise-en-service", 1),
            L("sauvegarde-abonnement", 1),
            L("cle-2ans-transporteur", 1),
            L("forfait-categorie", 1),
        ],
        categorie="C",
    )
    fibre, cdg = resultat.pour("fibre"), resultat.pour("cdg")
    # 40 + 115 + 180 = 335 unique ; 80 + 463 + 128 = 671 annuel.
    assert (fibre.total_unique, fibre.total_annuel, fibre.total_premiere_annee) == (
        D("335.00"),
        D("671.00"),
        D("1006.00"),
    )
    # 75 unique ; 50 (messagerie, 4 comptes) + 50 + 100 = 200 annuel.
    assert (cdg.total_unique, cdg.total_annuel, cdg.total_premiere_annee) == (
        D("75.00"),
        D("200.00"),
        D("275.00"),
    )


@pytest.mark.parametrize(
    "population,categorie",
    [
        (0, "A"),
        (1000, "A"),
        (1001, "B"),
        (2000, "B"),
        (2001, "C"),
        (5000, "C"),
        (5001, "D"),
        (10000, "D"),
        (10001, "E"),
        (20000, "E"),
        (20001, "F"),
        (30000, "F"),
        (30001, "G"),
        (50000, "G"),
        (50001, "H"),
        (100000, "H"),
        (100001, "I"),
        (2_000_000, "I"),
    ],
)
def test_category_by_population_at_every_boundary(
    instantane_2024_14, population, categorie
):
    assert calcul.categorie_pour(instantane_2024_14, population=population) == categorie


@pytest.mark.parametrize(
    "agents,categorie",
    [
        (0, "A"),
        (4, "A"),
        (5, "B"),
        (10, "B"),
        (11, "C"),
        (40, "C"),
        (41, "D"),
        (100, "D"),
        (101, "E"),
        (200, "E"),
        (201, "F"),
        (300, "F"),
        (301, "G"),
        (600, "G"),
        (601, "H"),
        (1000, "H"),
        (1001, "I"),
    ],
)
def test_category_by_agents_at_every_boundary(instantane_2024_14, agents, categorie):
    assert calcul.categorie_pour(instantane_2024_14, agents=agents) == categorie


def test_population_prevails_over_agents(instantane_2024_14):
    assert calcul.categorie_pour(instantane_2024_14, population=850, agents=700) == "A"


def test_a_category_needs_a_figure(instantane_2024_14):
    with pytest.raises(calcul.ErreurChiffrage):
        calcul.categorie_pour(instantane_2024_14)


@pytest.mark.parametrize(
    "lignes,fragment",
    [
        ([L("inconnu", 1)], "inconnu"),
        ([L("nom-de-domaine", 0)], "Quantité invalide"),
        ([L("nom-de-domaine", 1), L("nom-de-domaine", 2)], "deux fois"),
        ([L("nom-de-domaine", 1, intervention=True)], "intervention"),
        ([L("forfait-categorie", 1)], "catégorie"),
    ],
)
def test_impossible_requests_raise_french_errors(instantane_2024_14, lignes, fragment):
    with pytest.raises(calcul.ErreurChiffrage) as exc:
        calcul.chiffrer(instantane_2024_14, lignes)
    assert any(fragment in message for message in exc.value.erreurs)


CODES = [code for code, *_ in TABLEAU_1_UNITAIRE] + [
    "antivirus-mise-en-service",
    "forfait-categorie",
    "forfait-categorie-mise-en-service",
]


@settings(max_examples=150, deadline=None)
@given(
    code=st.sampled_from(sorted(set(CODES))),
    quantite=st.integers(min_value=1, max_value=500),
    plus=st.integers(min_value=1, max_value=500),
    categorie=st.sampled_from(list(TABLEAU_2)),
    intervention=st.booleans(),
)
def test_a_larger_quantity_never_costs_less(
    instantane_2024_14, code, quantite, plus, categorie, intervention
):
    if code != "antivirus-mise-en-service":
        intervention = False

    def chiffrer(q):
        return calcul.chiffrer(
            instantane_2024_14, [L(code, q, intervention)], categorie=categorie
        )

    petit, grand = chiffrer(quantite), chiffrer(quantite + plus)
    for emetteur in calcul.EMETTEURS:
        p, g = petit.pour(emetteur), grand.pour(emetteur)
        # Passer « sur devis » n'est pas coûter moins : le prix reste à fixer.
        if not g.sur_devis:
            assert g.total_premiere_annee >= p.total_premiere_annee


@settings(max_examples=150, deadline=None)
@given(
    demande=st.dictionaries(
        st.sampled_from(sorted(set(CODES))),
        st.integers(min_value=1, max_value=300),
        min_size=1,
    ),
    categorie=st.sampled_from(list(TABLEAU_2)),
)
def test_totals_are_the_sums_of_their_lines(instantane_2024_14, demande, categorie):
    lignes = [
        L(code, q, code == "antivirus-mise-en-service") for code, q in demande.items()
    ]
    resultat = calcul.chiffrer(instantane_2024_14, lignes, categorie=categorie)
    for devis in resultat.devis:
        montants = [(ligne.montant, ligne.periodicite) for ligne in devis.lignes]
        unique = sum(
            (m for m, p in montants if m is not None and p == "unique"), D("0")
        )
        annuel = sum(
            (m for m, p in montants if m is not None and p == "annuelle"), D("0")
        )
        assert devis.total_unique == unique
        assert devis.total_annuel == annuel
        assert devis.total_premiere_annee == unique + annuel
        assert devis.sur_devis == any(ligne.montant is None for ligne in devis.lignes)
        for ligne in devis.lignes:
            if ligne.montant is not None:
                assert ligne.montant == ligne.montant.quantize(D("0.01"))


def test_a_manual_price_completes_a_sur_devis_line(instantane_2024_14):
    resultat = calcul.chiffrer(
        instantane_2024_14,
        [L("antivirus-mise-en-service", 25, intervention=True), L("nom-de-domaine", 1)],
    )
    assert resultat.pour("cdg").sur_devis
    complete = calcul.appliquer_prix_manuels(
        resultat,
        {
            ("cdg", "antivirus-mise-en-service"): D("420.5"),
            ("fibre", "nom-de-domaine"): D(1),
        },
    )
    cdg = complete.pour("cdg")
    ligne = cdg.lignes[0]
    assert (ligne.mode, ligne.montant) == ("sur_devis", D("420.50"))
    assert not cdg.sur_devis
    assert (cdg.total_unique, cdg.total_premiere_annee) == (D("420.50"), D("420.50"))
    # Un prix manuel ne remplace jamais un tarif de la grille.
    assert complete.pour("fibre").total_annuel == D("15.00")
