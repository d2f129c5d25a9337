"""Émission d'un devis : conditions, gel des valeurs imprimées, PDF stocké une fois."""

from __future__ import annotations

import datetime
import hashlib
import re
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils import timezone

from conventions.models import Convention
from devis import pdf as devis_pdf
from devis import services
from devis.models import CompteurDevis, Devis, EvenementDevis
from tarifs.calcul import LigneDemandee
from tests.conftest import LIGNES_DEUX_EMETTEURS
from tests.factories import CollectiviteFactory, ConventionFactory

pytestmark = pytest.mark.django_db


def _messages(erreur: pytest.ExceptionInfo) -> str:
    return " ".join(erreur.value.messages)


def _aucun_numero_consomme() -> bool:
    return not CompteurDevis.objects.filter(dernier__gt=0).exists()


def test_issuing_numbers_dates_and_freezes_the_devis(brouillon_fibre, alice_agent):
    aujourdhui = timezone.localdate()

    devis = services.devis_emettre(devis=brouillon_fibre, par=alice_agent)

    devis.refresh_from_db()
    assert devis.statut == Devis.Statut.EMIS
    assert devis.numero == f"LFN5962-{aujourdhui.year}-0001"
    assert (devis.annee, devis.sequence) == (aujourdhui.year, 1)
    assert devis.date_emission == aujourdhui
    assert devis.date_validite == aujourdhui + datetime.timedelta(days=90)
    assert devis.emetteur_fige["nom"].startswith("La Fibre Numérique 59-62")
    assert devis.emetteur_fige["prefixe_numero"] == "LFN5962"
    assert devis.destinataire_fige["nom"] == "Ruitz"
    assert devis.destinataire_fige["adresse"] == "1 place de la Mairie"
    assert devis.destinataire_fige["population"] == 1500
    assert devis.grille_fige["reference"] == "2024/14"
    assert devis.grille_fige["date_deliberation"] == "2024-03-26"
    assert devis.convention_fige["statut"] == Convention.Statut.SIGNEE
    assert devis.convention_fige["date_effet"] == "2024-05-02"
    evenement = EvenementDevis.objects.filter(devis=devis).last()
    assert (evenement.statut, evenement.par) == (Devis.Statut.EMIS, alice_agent)


def test_the_pdf_is_stored_once_with_its_sha256(devis_emis):
    devis_emis.refresh_from_db()

    contenu = devis_emis.pdf.open("rb").read()

    # Nom unique sans numéro : un orphelin ne passe jamais pour un autre devis.
    assert re.fullmatch(
        rf"devis/{devis_emis.annee}/[0-9a-f]{{32}}\.pdf", devis_emis.pdf.name
    )
    assert contenu.startswith(b"%PDF-")
    assert hashlib.sha256(contenu).hexdigest() == devis_emis.pdf_sha256
    assert devis_pdf.devis_pdf_stocke(devis_emis) == contenu


def test_issuing_twice_is_refused(devis_emis, alice_agent):
    with pytest.raises(ValidationError) as erreur:
        services.devis_emettre(devis=devis_emis, par=alice_agent)

    assert "déjà émis" in _messages(erreur)
    assert CompteurDevis.objects.get().dernier == 1


@pytest.fixture
def commune_sans_convention(grille_2024_14, organismes):
    """Une commune complète (adresse, contacts) qui n'a encore aucune convention
    (une convention signée ne s'efface pas : la base le refuse)."""
    return CollectiviteFactory(
        nom="Houdain",
        population=7400,
        population_annee=2021,
        adresse="Place de la Mairie",
        code_postal="62150",
        ville="Houdain",
        emails_contact="mairie@houdain.example",
    )


def _brouillon_fibre(collectivite, agent) -> Devis:
    brouillons = services.devis_creer_brouillons(
        collectivite=collectivite, lignes=LIGNES_DEUX_EMETTEURS, par=agent
    )
    return next(d for d in brouillons if d.emetteur.code == "fibre")


def test_a_devis_needs_a_convention_to_be_issued(commune_sans_convention, alice_agent):
    brouillon_fibre = _brouillon_fibre(commune_sans_convention, alice_agent)

    with pytest.raises(ValidationError) as erreur:
        services.devis_emettre(devis=brouillon_fibre, par=alice_agent)

    assert "n'a pas de convention tripartite en cours" in _messages(erreur)
    assert _aucun_numero_consomme()
    brouillon_fibre.refresh_from_db()
    assert (brouillon_fibre.statut, brouillon_fibre.numero) == ("brouillon", None)


@pytest.mark.parametrize(
    "champs",
    [
        {
            "statut": Convention.Statut.RESILIEE,
            "resiliation_date": datetime.date(2025, 1, 31),
            "resiliation_motif": "Demande de la commune.",
        },
        {"statut": Convention.Statut.EXPIREE},
    ],
)
def test_a_terminated_or_expired_convention_does_not_allow_issuing(
    brouillon_fibre, alice_agent, champs
):
    Convention.objects.filter(collectivite=brouillon_fibre.collectivite).update(
        **champs
    )

    with pytest.raises(ValidationError) as erreur:
        services.devis_emettre(devis=brouillon_fibre, par=alice_agent)

    assert "convention tripartite" in _messages(erreur)
    assert _aucun_numero_consomme()


@pytest.mark.parametrize(
    "statut", [Convention.Statut.BROUILLON, Convention.Statut.EN_SIGNATURE]
)
def test_a_convention_being_prepared_allows_issuing(
    commune_sans_convention, grille_2024_14, alice_agent, statut
):
    ConventionFactory(
        collectivite=commune_sans_convention, grille=grille_2024_14, statut=statut
    )
    brouillon_fibre = _brouillon_fibre(commune_sans_convention, alice_agent)

    devis = services.devis_emettre(devis=brouillon_fibre, par=alice_agent)

    assert devis.convention_fige["statut"] == statut


def test_an_unpriced_sur_devis_line_prevents_issuing(ruitz, alice_agent):
    brouillons = services.devis_creer_brouillons(
        collectivite=ruitz,
        lignes=[LigneDemandee("antivirus-mise-en-service", 25, intervention=True)],
        par=alice_agent,
    )
    (cdg,) = brouillons

    with pytest.raises(ValidationError) as erreur:
        services.devis_emettre(devis=cdg, par=alice_agent)

    assert _messages(erreur) == (
        "Saisissez le prix des lignes sur devis avant d'émettre : "
        "Antivirus — mise en service."
    )
    assert _aucun_numero_consomme()


def test_a_priced_sur_devis_line_can_be_issued(ruitz, alice_agent):
    (cdg,) = services.devis_creer_brouillons(
        collectivite=ruitz,
        lignes=[LigneDemandee("antivirus-mise-en-service", 25, intervention=True)],
        prix_manuels={
            ("cdg", "antivirus-mise-en-service"): (
                Decimal("400"),
                "Deux demi-journées d'intervention.",
            )
        },
        par=alice_agent,
    )

    devis = services.devis_emettre(devis=cdg, par=alice_agent)

    assert devis.numero.startswith("CDG62-")


def test_a_draft_priced_on_a_replaced_grid_must_be_repriced(
    brouillon_fibre, alice_agent, monkeypatch
):
    class AutreGrille:
        pk = -1
        reference = "2099/01"

    monkeypatch.setattr(services, "grille_en_vigueur", lambda jour: AutreGrille)

    with pytest.raises(ValidationError) as erreur:
        services.devis_emettre(devis=brouillon_fibre, par=alice_agent)

    assert "remplacée par la grille 2099/01" in _messages(erreur)
    assert _aucun_numero_consomme()


def test_a_rendering_failure_leaves_the_draft_intact_and_no_file(
    brouillon_fibre, alice_agent, monkeypatch, stockage_prive_temporaire
):
    def en_panne(devis, *, projet=False):
        raise RuntimeError("WeasyPrint en panne")

    monkeypatch.setattr(devis_pdf, "devis_rendre_pdf", en_panne)

    with pytest.raises(RuntimeError):
        services.devis_emettre(devis=brouillon_fibre, par=alice_agent)

    brouillon_fibre.refresh_from_db()
    assert brouillon_fibre.statut == Devis.Statut.BROUILLON
    assert brouillon_fibre.numero is None
    assert brouillon_fibre.emetteur_fige == {}
    assert not brouillon_fibre.pdf
    assert _aucun_numero_consomme()
    assert not EvenementDevis.objects.filter(statut=Devis.Statut.EMIS).exists()


def test_a_failure_after_writing_the_file_removes_it(
    brouillon_fibre, alice_agent, monkeypatch, stockage_prive_temporaire
):
    def evenement_en_panne(devis, *, par, commentaire=""):
        raise RuntimeError("base indisponible")

    monkeypatch.setattr(services, "_evenement", evenement_en_panne)

    with pytest.raises(RuntimeError):
        services.devis_emettre(devis=brouillon_fibre, par=alice_agent)

    annee = timezone.localdate().year
    assert not stockage_prive_temporaire.exists(
        f"devis/{annee}/LFN5962-{annee}-0001.pdf"
    )
    assert _aucun_numero_consomme()


def test_an_existing_file_at_the_same_name_is_never_overwritten(
    brouillon_fibre, alice_agent, stockage_prive_temporaire
):
    annee = timezone.localdate().year
    nom = f"devis/{annee}/LFN5962-{annee}-0001.pdf"
    stockage_prive_temporaire.save(nom, ContentFile(b"autre fichier"))

    devis = services.devis_emettre(devis=brouillon_fibre, par=alice_agent)

    assert stockage_prive_temporaire.open(nom).read() == b"autre fichier"
    assert devis.pdf.name != nom
    assert devis.pdf.name.startswith(f"devis/{annee}/")
    assert devis_pdf.devis_pdf_stocke(devis).startswith(b"%PDF-")
