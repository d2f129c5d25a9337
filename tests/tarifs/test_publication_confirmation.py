"""Avant de publier une grille : chaque prix qui change par rapport à la grille
qu'elle remplace, avant → après (``tarifs.selectors.grille_differences``),
listé sur la page de confirmation de l'administration."""

from __future__ import annotations

import html
from datetime import date
from decimal import Decimal

import pytest

from tarifs.models import (
    Categorie,
    GrilleTarifaire,
    Palier,
    Prestation,
    Tarif,
    TarifCategorie,
)
from tarifs.selectors import grille_differences, grille_remplacee
from tarifs.services import grille_dupliquer

LISTE = "/admin/tarifs/grilletarifaire/"


@pytest.fixture
def client_admin(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.fixture
def brouillon(grille_2024_14):
    """La grille 2024/14 recopiée pour une nouvelle délibération, en 2025."""
    copie = grille_dupliquer(grille=grille_2024_14)
    copie.reference = "2025/07"
    copie.date_effet = date(2025, 1, 1)
    copie.save()
    return copie


def _tarif(grille, code, emetteur):
    return Tarif.objects.get(
        prestation__grille=grille, prestation__code=code, emetteur=emetteur
    )


def _montant_categorie(grille, code, emetteur, categorie):
    return TarifCategorie.objects.get(
        tarif=_tarif(grille, code, emetteur), categorie__code=categorie
    )


def modifier(brouillon) -> None:
    """Un changement de chaque sorte."""
    Tarif.objects.filter(pk=_tarif(brouillon, "messagerie-5go", "fibre").pk).update(
        prix_unitaire=Decimal("22.00")
    )
    Palier.objects.filter(
        bareme__grille=brouillon, bareme__code="M", quantite_min=1
    ).update(montant=Decimal("30.00"))
    TarifCategorie.objects.filter(
        pk=_montant_categorie(brouillon, "forfait-categorie", "fibre", "B").pk
    ).update(montant=Decimal("55.00"))
    TarifCategorie.objects.filter(
        pk=_montant_categorie(brouillon, "forfait-categorie", "cdg", "G").pk
    ).update(montant=Decimal("500.00"))
    Tarif.objects.filter(pk=_tarif(brouillon, "cle-1an-cdg", "cdg").pk).update(
        calcul="unitaire", prix_unitaire=Decimal("5.00")
    )
    Tarif.objects.filter(
        pk=_tarif(brouillon, "sauvegarde-go-supplementaire", "fibre").pk
    ).update(plafond=150)
    Tarif.objects.filter(pk=_tarif(brouillon, "nom-de-domaine", "fibre").pk).update(
        periodicite="unique"
    )
    Categorie.objects.filter(grille=brouillon, code="A").update(population_max=1200)
    Categorie.objects.filter(grille=brouillon, code="B").update(population_min=1201)
    Prestation.objects.get(grille=brouillon, code="page-internet").delete()
    nouvelle = Prestation.objects.create(
        grille=brouillon,
        code="visio",
        libelle="Visioconférence",
        section="Présence en ligne",
        unite="par salle et par an",
        ordre=999,
    )
    Tarif.objects.create(
        prestation=nouvelle,
        emetteur="fibre",
        calcul="unitaire",
        periodicite="annuelle",
        prix_unitaire=Decimal("9.00"),
    )


def test_an_unchanged_copy_has_no_difference(grille_2024_14, brouillon):
    assert grille_differences(grille_2024_14, brouillon) == []


def test_without_a_former_grid_nothing_is_compared(grille_2024_14):
    assert grille_differences(None, grille_2024_14) == []


def test_a_draft_replaces_the_grid_in_force_at_its_effect_date(
    grille_2024_14, brouillon
):
    assert grille_remplacee(brouillon) == grille_2024_14
    assert grille_remplacee(grille_2024_14) is None


def test_every_changed_price_is_listed_before_and_after(grille_2024_14, brouillon):
    modifier(brouillon)

    ecarts = {
        (e.code, e.emetteur, e.palier): (e.avant, e.apres)
        for e in grille_differences(grille_2024_14, brouillon)
    }

    assert ecarts == {
        ("categories", "", "Catégorie A"): (
            "de 0 à 1\xa0000 habitants ; de 0 à 4 agents",
            "de 0 à 1\xa0200 habitants ; de 0 à 4 agents",
        ),
        ("categories", "", "Catégorie B"): (
            "de 1\xa0001 à 2\xa0000 habitants ; de 5 à 10 agents",
            "de 1\xa0201 à 2\xa0000 habitants ; de 5 à 10 agents",
        ),
        ("messagerie-5go", "fibre", ""): (Decimal("20.00"), Decimal("22.00")),
        ("messagerie-accompagnement", "cdg", "1 à 2"): (
            Decimal("25.00"),
            Decimal("30.00"),
        ),
        ("nom-de-domaine", "fibre", "Périodicité"): ("Annuelle", "Unique"),
        ("cle-1an-cdg", "cdg", ""): ("Inclus", Decimal("5.00")),
        (
            "sauvegarde-go-supplementaire",
            "fibre",
            "Quantité maximale (au-delà : sur devis)",
        ): ("100", "150"),
        ("forfait-categorie", "fibre", "Catégorie B"): (
            Decimal("51.00"),
            Decimal("55.00"),
        ),
        ("forfait-categorie", "cdg", "Catégorie G"): ("Sur devis", Decimal("500.00")),
        ("visio", "fibre", ""): (None, Decimal("9.00")),
        ("visio", "fibre", "Périodicité"): (None, "Annuelle"),
        ("page-internet", "fibre", ""): (Decimal("14.00"), None),
        ("page-internet", "fibre", "Périodicité"): ("Annuelle", None),
    }


def test_the_publish_confirmation_lists_every_changed_price(
    client_admin, grille_2024_14, brouillon
):
    modifier(brouillon)

    reponse = client_admin.post(
        LISTE, {"action": "publier", "_selected_action": [brouillon.pk]}
    )

    assert reponse.status_code == 200
    texte = html.unescape(reponse.content.decode())
    assert "Confirmer la publication" in texte
    assert "13 prix changent</strong> par rapport à la grille 2024/14" in texte
    ligne = texte[texte.index("Messagerie — compte 5 Go") :]
    ligne = ligne[: ligne.index("</tr>")]
    assert "La Fibre Numérique 59-62" in ligne
    assert "20,00\xa0€" in ligne and "22,00\xa0€" in ligne
    assert "Forfait annuel par catégorie de collectivité" in texte
    assert "Catégorie G" in texte and "500,00\xa0€" in texte
    assert "Visioconférence" in texte and "absent" in texte and "retiré" in texte
    # Un prix inchangé n'est pas listé.
    assert "Antivirus — abonnement" not in texte
    assert f"/gestion/abonnements/comparaison/{brouillon.pk}/" in texte
    brouillon.refresh_from_db()
    assert brouillon.statut == GrilleTarifaire.Statut.BROUILLON


def test_the_publish_confirmation_says_when_no_price_changes(
    client_admin, grille_2024_14, brouillon
):
    reponse = client_admin.post(
        LISTE, {"action": "publier", "_selected_action": [brouillon.pk]}
    )
    texte = html.unescape(reponse.content.decode())
    assert "Aucun prix ne change par rapport à la grille 2024/14" in texte
    assert "Aucune anomalie détectée." in texte


def test_the_first_grid_has_nothing_to_compare(client_admin, db):
    premiere = GrilleTarifaire.objects.create(
        reference="2024/01",
        date_deliberation=date(2024, 1, 10),
        date_effet=date(2024, 2, 1),
    )
    reponse = client_admin.post(
        LISTE, {"action": "publier", "_selected_action": [premiere.pk]}
    )
    texte = html.unescape(reponse.content.decode())
    assert "Aucune grille publiée à comparer" in texte
    assert "La grille n'a aucune prestation." in texte


def test_confirming_still_publishes_the_draft(client_admin, grille_2024_14, brouillon):
    modifier(brouillon)
    reponse = client_admin.post(
        LISTE,
        {"action": "publier", "_selected_action": [brouillon.pk], "confirmer": "oui"},
        follow=True,
    )
    assert "Grille 2025/07 publiée" in reponse.content.decode()
    brouillon.refresh_from_db()
    assert brouillon.statut == GrilleTarifaire.Statut.PUBLIEE
    assert grille_differences(grille_2024_14, brouillon)


def test_the_change_page_of_a_draft_links_to_the_comparison(
    client_admin, grille_2024_14, brouillon
):
    lien = f"/gestion/abonnements/comparaison/{brouillon.pk}/"
    page = client_admin.get(f"{LISTE}{brouillon.pk}/change/")
    assert lien in page.content.decode()
    publiee = client_admin.get(f"{LISTE}{grille_2024_14.pk}/change/")
    assert "/gestion/abonnements/comparaison/" not in publiee.content.decode()
