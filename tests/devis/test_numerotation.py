"""Numérotation ``PREFIXE-AAAA-NNNN`` : par émetteur et par année, sans trou,
sûre sous émissions simultanées (domaine §6)."""

from __future__ import annotations

import datetime
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from devis import numerotation, services
from devis import pdf as devis_pdf
from devis.models import CompteurDevis, Devis
from tarifs.calcul import LigneDemandee

NOM_DE_DOMAINE = [LigneDemandee("nom-de-domaine", 1)]
SQLITE = pytest.mark.skipif(
    connection.vendor == "sqlite",
    reason="SQLite sérialise les écritures (une seule transaction d'écriture à la "
    "fois) : la vraie concurrence se teste sur PostgreSQL.",
)


def _brouillon_fibre(collectivite, agent) -> Devis:
    (devis,) = services.devis_creer_brouillons(
        collectivite=collectivite, lignes=NOM_DE_DOMAINE, par=agent
    )
    return devis


@pytest.mark.parametrize(
    "prefixe, annee, sequence, attendu",
    [
        ("CDG62", 2024, 7, "CDG62-2024-0007"),
        ("LFN5962", 2025, 1, "LFN5962-2025-0001"),
        ("CDG62", 2024, 12345, "CDG62-2024-12345"),
    ],
)
def test_it_formats_numbers_with_four_digits(prefixe, annee, sequence, attendu):
    assert (
        numerotation.format_numero(prefixe=prefixe, annee=annee, sequence=sequence)
        == attendu
    )


def _reserver(organismes, code="cdg", annee=2024):
    return numerotation.reserver(emetteur=organismes[code], annee=annee)


@pytest.mark.django_db
def test_numbers_follow_each_other_per_issuer_and_restart_each_year(organismes):
    obtenus = [
        numerotation.numero_de(_reserver(organismes)),
        numerotation.numero_de(_reserver(organismes)),
        numerotation.numero_de(_reserver(organismes, "fibre")),
        numerotation.numero_de(_reserver(organismes, annee=2025)),
    ]

    assert obtenus == [
        "CDG62-2024-0001",
        "CDG62-2024-0002",
        "LFN5962-2024-0001",
        "CDG62-2025-0001",
    ]


@pytest.mark.django_db
def test_a_returned_number_is_taken_again_before_a_new_one(organismes):
    premier, second = _reserver(organismes), _reserver(organismes)

    numerotation.liberer(premier)  # un autre a pris le suivant : il reste « rendu »
    repris = _reserver(organismes)
    neuf = _reserver(organismes)

    assert (repris.sequence, neuf.sequence) == (1, 3)
    assert numerotation.consommer(second)
    assert CompteurDevis.objects.get(annee=2024).dernier == 3


@pytest.mark.django_db
def test_returning_the_last_numbers_moves_the_counter_back(organismes):
    premier, second, troisieme = (_reserver(organismes) for _ in range(3))

    numerotation.liberer(second)
    numerotation.liberer(troisieme)  # le dernier : 3 puis 2, rendu juste en dessous

    assert CompteurDevis.objects.get(annee=2024).dernier == 1
    assert numerotation.consommer(premier)
    assert _reserver(organismes).sequence == 2


@pytest.mark.django_db
def test_an_abandoned_reservation_is_taken_again_after_the_delay(
    organismes, monkeypatch
):
    abandonnee = _reserver(organismes)
    plus_tard = timezone.now() + numerotation.DELAI_ABANDON + datetime.timedelta(1)
    monkeypatch.setattr(timezone, "now", lambda: plus_tard)

    reprise = _reserver(organismes)

    assert reprise.sequence == abandonnee.sequence == 1
    # Le processus tué qui se réveillerait ne peut plus s'en servir.
    assert not numerotation.consommer(abandonnee)
    assert numerotation.consommer(reprise)


@pytest.mark.django_db
def test_a_draft_changed_during_its_render_is_not_issued_and_its_number_returns(
    ruitz, alice_agent, monkeypatch
):
    brouillon = _brouillon_fibre(ruitz, alice_agent)
    vrai_rendu = devis_pdf.devis_rendre_pdf

    def rendu_pendant_une_modification(devis, *, projet=False):
        Devis.objects.filter(pk=devis.pk).update(
            modifie_le=timezone.now() + datetime.timedelta(seconds=1)
        )
        return vrai_rendu(devis, projet=projet)

    monkeypatch.setattr(devis_pdf, "devis_rendre_pdf", rendu_pendant_une_modification)

    with pytest.raises(ValidationError) as refus:
        services.devis_emettre(devis=brouillon, par=alice_agent)

    assert "modifié pendant son émission" in " ".join(refus.value.messages)
    brouillon.refresh_from_db()
    assert (brouillon.statut, brouillon.numero) == (Devis.Statut.BROUILLON, None)
    assert CompteurDevis.objects.get().dernier == 0


@pytest.mark.django_db
def test_issued_devis_are_numbered_in_sequence_per_issuer(
    ruitz, brouillon_cdg, alice_agent
):
    annee = timezone.localdate().year
    premier = _brouillon_fibre(ruitz, alice_agent)
    second = _brouillon_fibre(ruitz, alice_agent)

    numeros = [
        services.devis_emettre(devis=devis, par=alice_agent).numero
        for devis in (premier, brouillon_cdg, second)
    ]

    assert numeros == [
        f"LFN5962-{annee}-0001",
        f"CDG62-{annee}-0001",
        f"LFN5962-{annee}-0002",
    ]


@pytest.mark.django_db
def test_the_first_devis_of_a_new_year_is_0001(ruitz, alice_agent, monkeypatch):
    decembre = _brouillon_fibre(ruitz, alice_agent)
    janvier = _brouillon_fibre(ruitz, alice_agent)
    monkeypatch.setattr(
        timezone, "localdate", lambda *a, **k: datetime.date(2026, 12, 31)
    )
    services.devis_emettre(devis=decembre, par=alice_agent)
    monkeypatch.setattr(
        timezone, "localdate", lambda *a, **k: datetime.date(2027, 1, 2)
    )

    devis = services.devis_emettre(devis=janvier, par=alice_agent)

    assert devis.numero == "LFN5962-2027-0001"
    assert devis.date_emission == datetime.date(2027, 1, 2)
    decembre.refresh_from_db()
    assert decembre.numero == "LFN5962-2026-0001"


@pytest.mark.django_db
def test_an_issue_rolled_back_leaves_its_number_to_the_next(
    ruitz, alice_agent, monkeypatch
):
    annee = timezone.localdate().year
    rate, suivant = (
        _brouillon_fibre(ruitz, alice_agent),
        _brouillon_fibre(ruitz, alice_agent),
    )
    vrai_rendu = devis_pdf.devis_rendre_pdf

    def rendu(devis, *, projet=False):
        if devis.pk == rate.pk:
            raise RuntimeError("rendu impossible")
        return vrai_rendu(devis, projet=projet)

    monkeypatch.setattr(devis_pdf, "devis_rendre_pdf", rendu)

    with pytest.raises(RuntimeError):
        services.devis_emettre(devis=rate, par=alice_agent)
    devis = services.devis_emettre(devis=suivant, par=alice_agent)

    assert devis.numero == f"LFN5962-{annee}-0001"
    rate.refresh_from_db()
    assert rate.numero is None


# --- Vraie concurrence (PostgreSQL) ---

N_FILS = 8


def _emettre_ensemble(brouillons, agent) -> dict[int, object]:
    """Émet chaque brouillon dans son propre fil, tous lâchés au même instant."""
    barriere = threading.Barrier(len(brouillons))
    resultats: dict[int, object] = {}

    def emettre(devis):
        try:
            barriere.wait(timeout=30)
            resultats[devis.pk] = services.devis_emettre(devis=devis, par=agent)
        except Exception as erreur:  # noqa: BLE001 - rapporté au test
            resultats[devis.pk] = erreur
        finally:
            connection.close()

    fils = [threading.Thread(target=emettre, args=(d,)) for d in brouillons]
    for f in fils:
        f.start()
    for f in fils:
        f.join(timeout=120)
    return resultats


@SQLITE
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_simultaneous_issues_get_1_to_n_without_duplicate_or_gap(ruitz, alice_agent):
    annee = timezone.localdate().year
    brouillons = [_brouillon_fibre(ruitz, alice_agent) for _ in range(N_FILS)]

    resultats = _emettre_ensemble(brouillons, alice_agent)

    erreurs = [r for r in resultats.values() if isinstance(r, Exception)]
    assert erreurs == []
    emis = Devis.objects.filter(statut=Devis.Statut.EMIS)
    assert sorted(emis.values_list("sequence", flat=True)) == list(range(1, N_FILS + 1))
    assert sorted(emis.values_list("numero", flat=True)) == [
        f"LFN5962-{annee}-{n:04d}" for n in range(1, N_FILS + 1)
    ]
    assert CompteurDevis.objects.get(annee=annee).dernier == N_FILS


@SQLITE
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_simultaneous_issue_rolled_back_leaves_its_number_to_the_next(
    ruitz, alice_agent, monkeypatch
):
    annee = timezone.localdate().year
    brouillons = [_brouillon_fibre(ruitz, alice_agent) for _ in range(N_FILS)]
    rate = brouillons[N_FILS // 2]
    vrai_rendu = devis_pdf.devis_rendre_pdf

    def rendu(devis, *, projet=False):
        if devis.pk == rate.pk:
            raise RuntimeError("rendu impossible")
        return vrai_rendu(devis, projet=projet)

    monkeypatch.setattr(devis_pdf, "devis_rendre_pdf", rendu)

    resultats = _emettre_ensemble(brouillons, alice_agent)

    assert isinstance(resultats[rate.pk], RuntimeError)
    rate.refresh_from_db()
    assert (rate.statut, rate.numero) == (Devis.Statut.BROUILLON, None)
    # Le numéro rendu par l'échec est repris par l'émission suivante.
    suivant = services.devis_emettre(
        devis=_brouillon_fibre(ruitz, alice_agent), par=alice_agent
    )
    emis = Devis.objects.filter(statut=Devis.Statut.EMIS)
    assert sorted(emis.values_list("sequence", flat=True)) == list(range(1, N_FILS + 1))
    assert suivant.sequence <= N_FILS
    assert CompteurDevis.objects.get(annee=annee).dernier == N_FILS


@SQLITE
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_issues_of_the_same_issuer_render_their_pdfs_at_the_same_time(
    ruitz, alice_agent, monkeypatch
):
    """Le compteur n'est plus verrouillé pendant le rendu : les rendus de deux
    émissions simultanées du même émetteur se chevauchent."""
    brouillons = [_brouillon_fibre(ruitz, alice_agent) for _ in range(2)]
    vrai_rendu = devis_pdf.devis_rendre_pdf
    en_cours = threading.Barrier(2)

    def rendu(devis, *, projet=False):
        # Chaque rendu attend que l'autre ait commencé le sien : sous l'ancien
        # verrou, le second n'y entrait jamais et la barrière expirait.
        en_cours.wait(timeout=20)
        return vrai_rendu(devis, projet=projet)

    monkeypatch.setattr(devis_pdf, "devis_rendre_pdf", rendu)

    resultats = _emettre_ensemble(brouillons, alice_agent)

    assert [type(r).__name__ for r in resultats.values()] == ["Devis", "Devis"]
    assert sorted(r.sequence for r in resultats.values()) == [1, 2]
