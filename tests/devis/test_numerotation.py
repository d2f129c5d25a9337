"""Numérotation ``PREFIXE-AAAA-NNNN`` : par émetteur et par année, sans trou,
sûre sous émissions simultanées (domaine §6)."""

from __future__ import annotations

import datetime
import threading

import pytest
from django.db import connection, transaction
from django.db.transaction import TransactionManagementError
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


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_it_refuses_to_number_outside_a_transaction(organismes):
    with pytest.raises(TransactionManagementError):
        numerotation.numero_suivant(emetteur=organismes["cdg"], annee=2024)


@pytest.mark.django_db
def test_numbers_follow_each_other_per_issuer_and_restart_each_year(organismes):
    with transaction.atomic():
        obtenus = [
            numerotation.numero_suivant(emetteur=organismes["cdg"], annee=2024),
            numerotation.numero_suivant(emetteur=organismes["cdg"], annee=2024),
            numerotation.numero_suivant(emetteur=organismes["fibre"], annee=2024),
            numerotation.numero_suivant(emetteur=organismes["cdg"], annee=2025),
        ]

    assert obtenus == [
        (1, "CDG62-2024-0001"),
        (2, "CDG62-2024-0002"),
        (1, "LFN5962-2024-0001"),
        (1, "CDG62-2025-0001"),
    ]


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
def test_a_simultaneous_issue_rolled_back_leaves_no_gap(
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
    emis = Devis.objects.filter(statut=Devis.Statut.EMIS)
    assert sorted(emis.values_list("sequence", flat=True)) == list(range(1, N_FILS))
    assert CompteurDevis.objects.get(annee=annee).dernier == N_FILS - 1
    rate.refresh_from_db()
    assert (rate.statut, rate.numero) == (Devis.Statut.BROUILLON, None)
