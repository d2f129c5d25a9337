"""L'inventaire d'une collectivité : ce qu'un devis accepté fait souscrire,
écrit dans la transaction même de l'acceptation (domaine §12)."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from abonnements import selectors, services
from abonnements.models import Abonnement, ElementLivre
from devis import services as devis_services
from devis.models import Devis

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("pdf_rapide")]


def accepter(devis, agent) -> Devis:
    return devis_services.devis_accepter(
        devis=devis,
        signataire_nom="Jeanne Dupont",
        signataire_qualite="Maire",
        par=agent,
        canal="papier",
    )


def test_accepting_records_each_annual_line_as_an_abonnement(devis_emis, alice_agent):
    accepter(devis_emis, alice_agent)

    abonnements = Abonnement.objects.filter(devis=devis_emis)
    annuelles = devis_emis.lignes.filter(periodicite="annuelle")
    assert abonnements.count() == annuelles.count() > 0
    messagerie = abonnements.get(code="messagerie-5go")
    assert (messagerie.quantite, messagerie.montant_annuel) == (3, Decimal("60.00"))
    assert messagerie.statut == Abonnement.Statut.ACTIF
    assert messagerie.debut == timezone.localdate()
    assert messagerie.emetteur.code == "fibre"
    assert messagerie.grille_id == devis_emis.grille_id


def test_accepting_records_each_one_off_line_as_a_delivered_item(
    brouillon_cdg, alice_agent
):
    cdg = devis_services.devis_emettre(devis=brouillon_cdg, par=alice_agent)

    accepter(cdg, alice_agent)

    uniques = cdg.lignes.exclude(periodicite="annuelle")
    livres = ElementLivre.objects.filter(devis=cdg)
    assert livres.count() == uniques.count() > 0
    assert set(livres.values_list("code", flat=True)) == set(
        uniques.values_list("code", flat=True)
    )


def test_acceptance_and_inventory_are_one_transaction(
    devis_emis, alice_agent, monkeypatch
):
    """L'inventaire qui échoue annule l'acceptation : ni l'un ni l'autre."""

    def panne(*args, **kwargs):
        raise RuntimeError("disque plein")

    monkeypatch.setattr(Abonnement.objects, "create", panne)

    with pytest.raises(RuntimeError):
        accepter(devis_emis, alice_agent)

    devis_emis.refresh_from_db()
    assert devis_emis.statut == Devis.Statut.EMIS
    assert devis_emis.accepte_le is None
    assert not Abonnement.objects.exists()


def test_the_inventory_groups_services_by_issuer_with_annual_amounts(
    devis_emis, alice_agent, ruitz
):
    accepter(devis_emis, alice_agent)

    inventaire = selectors.inventaire_de(ruitz)

    (fibre,) = inventaire.emetteurs
    assert fibre.nom.startswith("La Fibre")
    messagerie = next(s for s in fibre.services if s.code == "messagerie-5go")
    assert messagerie.quantite == 3
    assert fibre.annuel == sum(s.montant_annuel for s in fibre.services)


def test_an_abonnement_ends_with_a_date_and_a_reason_and_keeps_its_history(
    devis_emis, alice_agent
):
    accepter(devis_emis, alice_agent)
    abonnement = Abonnement.objects.get(code="messagerie-5go")

    with pytest.raises(ValidationError) as refus:
        services.abonnement_resilier(
            abonnement=abonnement, fin=timezone.localdate(), motif=" ", par=alice_agent
        )
    services.abonnement_resilier(
        abonnement=abonnement,
        fin=timezone.localdate(),
        motif="Fusion de communes",
        par=alice_agent,
    )

    assert "Le motif de la résiliation est obligatoire." in refus.value.messages
    abonnement.refresh_from_db()
    assert (abonnement.statut, abonnement.motif_fin) == (
        "resilie",
        "Fusion de communes",
    )
    assert abonnement.history.count() == 2
    assert "Résilié" in abonnement.history.first().history_change_reason


def test_the_collectivite_page_and_the_portal_show_the_inventory(
    agent, client, devis_emis, alice_agent, ruitz, sophie
):
    accepter(devis_emis, alice_agent)

    gestion = agent.get(f"/gestion/collectivites/{ruitz.pk}/").content.decode()
    client.force_login(sophie)
    portail = client.get(f"/portail/{ruitz.pk}/").content.decode()

    for page in (gestion, portail):
        assert "Services souscrits" in page
        assert "Messagerie" in page and devis_emis.numero in page
    assert "Résilier" in gestion and "Résilier" not in portail


def test_an_agent_sets_the_start_date_and_ends_an_abonnement_from_the_page(
    agent, devis_emis, alice_agent, ruitz
):
    accepter(devis_emis, alice_agent)
    abonnement = Abonnement.objects.get(code="messagerie-5go")

    agent.post(f"/gestion/abonnements/{abonnement.pk}/debut", {"debut": "2026-02-01"})
    refus = agent.post(
        f"/gestion/abonnements/{abonnement.pk}/resilier",
        {"fin": "2026-01-01", "motif": "Erreur"},
        follow=True,
    )

    abonnement.refresh_from_db()
    assert abonnement.debut == datetime.date(2026, 2, 1)
    assert "La fin ne peut pas précéder le début du service" in refus.content.decode()
    assert abonnement.statut == Abonnement.Statut.ACTIF
