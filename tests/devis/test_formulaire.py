"""Le formulaire de demande de devis et sa colle avec le moteur de chiffrage."""

from __future__ import annotations

from decimal import Decimal

import pytest

from devis.chiffrage_formulaire import (
    apercu_du_chiffrage,
    chiffrer_demande,
    prestations_par_section,
)
from devis.forms import MESSAGE_AUCUNE_LIGNE, DemandeDevisForm, MontantField
from tarifs import calcul
from tarifs.selectors import instantane_en_vigueur
from tests.factories import CollectiviteFactory


@pytest.fixture
def grille(grille_2024_14):
    return instantane_en_vigueur()


@pytest.fixture
def commune(db):
    return CollectiviteFactory(nom="Quercamps", population=850)


def formulaire(grille, collectivite, **donnees):
    return DemandeDevisForm(
        {"collectivite": str(collectivite.pk), **donnees}, grille=grille
    )


def test_it_groups_the_prestations_by_section_in_grid_order(grille):
    sections = prestations_par_section(grille)
    titres = [section.titre for section in sections]
    assert titres[0] == "Présence en ligne — Messagerie"
    assert "Sécurité — Antivirus" in titres
    assert len(titres) == len(set(titres))
    codes = [p.code for s in sections for p in s.prestations]
    assert sorted(codes) == sorted(grille.prestations)


def test_it_offers_the_intervention_option_only_where_the_grid_accepts_it(grille):
    form = DemandeDevisForm(grille=grille)
    options = sorted(
        nom.removeprefix("intervention_")
        for nom in form.fields
        if nom.startswith("intervention_")
    )
    assert options == ["antivirus-mise-en-service"]


def test_it_builds_the_lines_and_prices_them_like_the_engine(grille, commune):
    form = formulaire(
        grille,
        commune,
        **{
            "quantite_messagerie-5go": "3",
            "quantite_antivirus-mise-en-service": "8",
            "intervention_antivirus-mise-en-service": "on",
            "quantite_page-internet": "0",
            "quantite_nom-de-domaine": "",
        },
    )
    assert form.is_valid(), form.errors
    assert form.lignes == [
        calcul.LigneDemandee("messagerie-5go", 3, False),
        calcul.LigneDemandee("antivirus-mise-en-service", 8, True),
    ]
    attendu = calcul.chiffrer(grille, form.lignes, categorie="A")
    assert form.chiffrage == attendu
    assert form.chiffrage.pour("cdg").total_unique == Decimal("200.00")


def test_it_creates_price_fields_for_each_sur_devis_line(grille, commune):
    form = formulaire(
        grille,
        commune,
        **{
            "quantite_antivirus-mise-en-service": "25",
            "intervention_antivirus-mise-en-service": "on",
        },
    )
    assert form.cles_sur_devis == [("cdg", "antivirus-mise-en-service")]
    assert "prix_cdg_antivirus-mise-en-service" in form.fields
    assert "justification_cdg_antivirus-mise-en-service" in form.fields
    assert form.is_valid(), form.errors
    assert form.prix_manuels == {}
    assert form.chiffrage.pour("cdg").sur_devis is True


def test_it_applies_a_justified_manual_price_as_the_line_amount(grille, commune):
    form = formulaire(
        grille,
        commune,
        **{
            "quantite_antivirus-mise-en-service": "25",
            "intervention_antivirus-mise-en-service": "on",
            "prix_cdg_antivirus-mise-en-service": "1 234,50 €",
            "justification_cdg_antivirus-mise-en-service": "Deux jours sur site.",
        },
    )
    assert form.is_valid(), form.errors
    assert form.prix_manuels == {
        ("cdg", "antivirus-mise-en-service"): (
            Decimal("1234.50"),
            "Deux jours sur site.",
        )
    }
    cdg = form.chiffrage.pour("cdg")
    assert cdg.total_unique == Decimal("1234.50")
    assert cdg.sur_devis is False
    assert form.chiffrage == chiffrer_demande(
        grille=grille,
        collectivite=commune,
        lignes=form.lignes,
        prix_manuels=form.prix_manuels,
    )


@pytest.mark.parametrize(
    ("saisie", "message"),
    [
        ("-3", "La quantité ne peut pas être négative."),
        ("trois", "La quantité doit être un nombre entier."),
        ("2,5", "La quantité doit être un nombre entier."),
        ("100000000000000000000", "La quantité ne peut pas dépasser 99\u00a0999."),
    ],
)
def test_it_refuses_a_bad_quantity_in_french(grille, commune, saisie, message):
    form = formulaire(grille, commune, **{"quantite_messagerie-5go": saisie})
    assert not form.is_valid()
    assert form.errors["quantite_messagerie-5go"] == [message]


def test_it_refuses_a_request_without_any_line(grille, commune):
    form = formulaire(grille, commune, **{"quantite_messagerie-5go": "0"})
    assert not form.is_valid()
    assert form.non_field_errors() == [MESSAGE_AUCUNE_LIGNE]
    assert form.aucune_ligne is True
    assert form.erreurs_de_chiffrage() == []


@pytest.mark.parametrize(
    ("prix", "justification", "champ", "message"),
    [
        (
            "beaucoup",
            "x",
            "prix",
            "Saisissez un montant en euros, par exemple 150 ou 150,50.",
        ),
        ("-10", "x", "prix", "Le montant ne peut pas être négatif."),
        (
            "10,555",
            "x",
            "prix",
            "Le montant s'arrête au centime (deux décimales au plus).",
        ),
        ("1e20", "x", "prix", "Le montant est trop élevé."),
        (
            "150",
            "  ",
            "justification",
            "Justifiez le montant saisi pour cette ligne sur devis.",
        ),
        (
            "",
            "Deux jours",
            "prix",
            "Saisissez le montant de cette ligne sur devis "
            "(ou videz sa justification).",
        ),
    ],
)
def test_it_refuses_a_bad_manual_price_in_french(
    grille, commune, prix, justification, champ, message
):
    form = formulaire(
        grille,
        commune,
        **{
            "quantite_antivirus-mise-en-service": "25",
            "intervention_antivirus-mise-en-service": "on",
            "prix_cdg_antivirus-mise-en-service": prix,
            "justification_cdg_antivirus-mise-en-service": justification,
        },
    )
    assert not form.is_valid()
    assert form.errors[f"{champ}_cdg_antivirus-mise-en-service"] == [message]


def test_it_keeps_a_typed_price_when_its_quantity_needs_fixing(grille, commune):
    form = formulaire(
        grille,
        commune,
        **{
            "quantite_antivirus-mise-en-service": "25 postes",
            "intervention_antivirus-mise-en-service": "on",
            "prix_cdg_antivirus-mise-en-service": "900",
            "justification_cdg_antivirus-mise-en-service": "Sur site.",
        },
    )
    assert not form.is_valid()
    assert ("cdg", "antivirus-mise-en-service") in form.cles_sur_devis
    caches = apercu_du_chiffrage(form, {})["champs_caches"]
    assert [champ.value() for champ in caches] == ["900", "Sur site."]


def test_it_reports_an_engine_error_for_a_category_line_without_data(grille):
    sans_donnees = CollectiviteFactory(population=None, agents=None)
    form = formulaire(grille, sans_donnees, **{"quantite_forfait-categorie": "1"})
    assert not form.is_valid()
    assert any("dépend de la catégorie" in e for e in form.non_field_errors())


def test_it_requires_a_collectivite(grille):
    form = DemandeDevisForm({"quantite_messagerie-5go": "2"}, grille=grille)
    assert not form.is_valid()
    assert form.errors["collectivite"] == ["Choisissez la collectivité destinataire."]
    # Le chiffrage se montre déjà (la collectivité n'est requise qu'à l'enregistrement).
    assert form.chiffrage.pour("fibre").total_annuel == Decimal("40.00")


@pytest.mark.parametrize(
    ("saisie", "attendu"),
    [
        ("150", Decimal("150.00")),
        ("150,5", Decimal("150.50")),
        ("1 234,56 €", Decimal("1234.56")),
        ("0", Decimal("0.00")),
        ("", None),
    ],
)
def test_the_amount_field_reads_french_amounts(saisie, attendu):
    assert MontantField(required=False).clean(saisie) == attendu
