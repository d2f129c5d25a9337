from __future__ import annotations

import datetime
import itertools

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from conventions import services
from conventions.models import Collectivite, Convention, Signature
from tests.factories import (
    CollectiviteFactory,
    ConventionFactory,
    SignatureFactory,
    pdf_octets,
)

Statut = Convention.Statut
Partie = Signature.Partie
JOUR = datetime.date(2024, 5, 2)


def convention_a_l_etat(statut: str, grille) -> Convention:
    """Une convention cohérente dans l'état demandé."""
    extra = {}
    if statut in (Statut.SIGNEE, Statut.RESILIEE, Statut.EXPIREE):
        extra["date_effet"] = JOUR
    if statut == Statut.RESILIEE:
        extra.update(resiliation_date=JOUR, resiliation_motif="Fusion de communes")
    return ConventionFactory(grille=grille, statut=statut, **extra)


def signer(convention, partie, par, date=JOUR, nom="Dominique Durand"):
    return services.convention_signer(
        convention=convention,
        partie=partie,
        signataire_nom=nom,
        signataire_qualite="Maire" if partie == Partie.COLLECTIVITE else "Président",
        date=date,
        par=par,
    )


# --- Création -------------------------------------------------------------


def test_it_creates_a_draft_with_the_grid_in_force(grille_2024_14, alice_agent):
    collectivite = CollectiviteFactory()

    convention = services.convention_creer(collectivite=collectivite, par=alice_agent)

    assert convention.statut == Statut.BROUILLON
    assert convention.grille == grille_2024_14
    assert convention.creee_par == alice_agent
    creation = convention.history.get()
    assert creation.history_user == alice_agent
    assert creation.history_change_reason == "Création (grille 2024/14 annexée)"


def test_it_refuses_a_convention_without_a_grid_in_force(db, alice_agent):
    collectivite = CollectiviteFactory()

    with pytest.raises(ValidationError) as erreur:
        services.convention_creer(collectivite=collectivite, par=alice_agent)

    assert (
        "Aucune grille tarifaire publiée n'est en vigueur" in erreur.value.messages[0]
    )
    assert not Convention.objects.exists()


@pytest.mark.parametrize("statut", [Statut.BROUILLON, Statut.EN_SIGNATURE])
def test_it_refuses_a_second_convention_in_preparation(
    grille_2024_14, alice_agent, statut
):
    existante = convention_a_l_etat(statut, grille_2024_14)

    with pytest.raises(ValidationError) as erreur:
        services.convention_creer(collectivite=existante.collectivite, par=alice_agent)

    assert erreur.value.messages == [
        f"Une convention est déjà en préparation pour {existante.collectivite.nom} "
        f"(convention n°{existante.pk}, {existante.get_statut_display().lower()})."
    ]
    assert Convention.objects.count() == 1


def test_a_renewal_can_be_prepared_while_a_convention_is_in_force(
    grille_2024_14, alice_agent
):
    en_vigueur = convention_a_l_etat(Statut.SIGNEE, grille_2024_14)

    nouvelle = services.convention_creer(
        collectivite=en_vigueur.collectivite, par=alice_agent
    )

    assert nouvelle.statut == Statut.BROUILLON


# --- Contraintes de base --------------------------------------------------


def test_the_database_allows_only_one_convention_in_force(grille_2024_14):
    premiere = convention_a_l_etat(Statut.SIGNEE, grille_2024_14)

    with pytest.raises(IntegrityError), transaction.atomic():
        ConventionFactory(
            grille=grille_2024_14,
            collectivite=premiere.collectivite,
            statut=Statut.SIGNEE,
            date_effet=JOUR,
        )


def test_the_database_allows_only_one_convention_in_preparation(grille_2024_14):
    premiere = convention_a_l_etat(Statut.BROUILLON, grille_2024_14)

    with pytest.raises(IntegrityError), transaction.atomic():
        ConventionFactory(
            grille=grille_2024_14,
            collectivite=premiere.collectivite,
            statut=Statut.EN_SIGNATURE,
        )


def test_the_database_refuses_a_termination_without_reason(grille_2024_14):
    with pytest.raises(IntegrityError), transaction.atomic():
        ConventionFactory(grille=grille_2024_14, statut=Statut.RESILIEE)


def test_the_last_signature_is_refused_while_another_convention_is_in_force(
    grille_2024_14, alice_agent
):
    en_vigueur = convention_a_l_etat(Statut.SIGNEE, grille_2024_14)
    nouvelle = ConventionFactory(
        grille=grille_2024_14,
        statut=Statut.EN_SIGNATURE,
        collectivite=en_vigueur.collectivite,
    )
    signer(nouvelle, Partie.COLLECTIVITE, alice_agent)
    signer(nouvelle, Partie.FIBRE, alice_agent)

    with pytest.raises(ValidationError) as erreur:
        signer(nouvelle, Partie.CDG, alice_agent)

    assert erreur.value.messages == [
        f"La convention n°{en_vigueur.pk} est déjà en vigueur pour "
        f"{en_vigueur.collectivite.nom} : résiliez-la ou constatez son expiration "
        "avant d'enregistrer la dernière signature de celle-ci."
    ]
    nouvelle.refresh_from_db()
    assert nouvelle.statut == Statut.EN_SIGNATURE
    assert nouvelle.signatures.count() == 2


# --- Signatures -----------------------------------------------------------


@pytest.mark.parametrize("ordre", list(itertools.permutations(Partie.values)))
def test_the_three_parties_sign_in_any_order(grille_2024_14, alice_agent, ordre):
    convention = convention_a_l_etat(Statut.EN_SIGNATURE, grille_2024_14)
    dates = [datetime.date(2024, 5, 2), datetime.date(2024, 6, 18), JOUR]

    for partie, date in zip(ordre[:2], dates[:2], strict=True):
        convention = signer(convention, partie, alice_agent, date=date)
        assert convention.statut == Statut.EN_SIGNATURE
        assert convention.date_effet is None
    convention = signer(convention, ordre[2], alice_agent, date=dates[2])

    convention.refresh_from_db()
    assert convention.statut == Statut.SIGNEE
    assert convention.date_effet == datetime.date(2024, 6, 18)
    assert {s.partie for s in convention.signatures.all()} == set(Partie.values)


def test_a_signature_on_a_draft_sends_it_for_signature(grille_2024_14, alice_agent):
    convention = convention_a_l_etat(Statut.BROUILLON, grille_2024_14)

    convention = signer(convention, Partie.CDG, alice_agent)

    assert convention.statut == Statut.EN_SIGNATURE
    signature = convention.signatures.get()
    assert signature.enregistree_par == alice_agent
    raison = convention.history.latest("history_date").history_change_reason
    assert raison == "Signature : Le CDG 62 (Dominique Durand, 2 mai 2024)"


def test_a_party_signs_only_once(grille_2024_14, alice_agent):
    signature = SignatureFactory(convention__grille=grille_2024_14, partie=Partie.FIBRE)

    with pytest.raises(ValidationError) as erreur:
        signer(signature.convention, Partie.FIBRE, alice_agent, nom="Autre")

    assert erreur.value.messages == [
        "La Fibre Numérique 59-62 a déjà signé cette convention "
        "(Dominique Durand, le 2 mai 2024)."
    ]
    assert signature.convention.signatures.count() == 1


def test_a_signature_in_the_future_is_refused(grille_2024_14, alice_agent):
    convention = convention_a_l_etat(Statut.EN_SIGNATURE, grille_2024_14)
    demain = timezone.localdate() + datetime.timedelta(days=1)

    with pytest.raises(ValidationError, match="dans le futur"):
        signer(convention, Partie.CDG, alice_agent, date=demain)


def test_a_signature_needs_a_name_and_a_title(grille_2024_14, alice_agent):
    convention = convention_a_l_etat(Statut.EN_SIGNATURE, grille_2024_14)

    with pytest.raises(ValidationError, match="nom et la qualité"):
        signer(convention, Partie.CDG, alice_agent, nom="  ")


# --- Transitions ----------------------------------------------------------

PERMISES = {
    "envoyer": {Statut.BROUILLON: Statut.EN_SIGNATURE},
    "signer": {
        Statut.BROUILLON: Statut.EN_SIGNATURE,
        Statut.EN_SIGNATURE: Statut.EN_SIGNATURE,
    },
    "deposer_scan": {
        Statut.EN_SIGNATURE: Statut.EN_SIGNATURE,
        Statut.SIGNEE: Statut.SIGNEE,
    },
    "resilier": {Statut.SIGNEE: Statut.RESILIEE},
    "expirer": {Statut.SIGNEE: Statut.EXPIREE},
    "supprimer": {Statut.BROUILLON: None},
}


def agir(action: str, convention: Convention, par):
    if action == "envoyer":
        return services.convention_envoyer_en_signature(convention=convention, par=par)
    if action == "signer":
        return signer(convention, Partie.COLLECTIVITE, par)
    if action == "deposer_scan":
        fichier = SimpleUploadedFile("scan.pdf", pdf_octets())
        return services.convention_deposer_scan(
            convention=convention, fichier=fichier, par=par
        )
    if action == "resilier":
        return services.convention_resilier(
            convention=convention,
            date=datetime.date(2025, 1, 31),
            motif="Dissolution du syndicat",
            par=par,
        )
    if action == "expirer":
        return services.convention_expirer(
            convention=convention, date=datetime.date(2027, 12, 31), par=par
        )
    return services.convention_supprimer_brouillon(convention=convention, par=par)


@pytest.mark.parametrize("statut", Statut.values)
@pytest.mark.parametrize("action", list(PERMISES))
def test_every_action_is_allowed_or_refused_by_state(
    grille_2024_14, alice_agent, stockage, action, statut
):
    convention = convention_a_l_etat(statut, grille_2024_14)
    permises = PERMISES[action]

    if statut in permises:
        agir(action, convention, alice_agent)
        if permises[statut] is None:
            assert not Convention.objects.filter(pk=convention.pk).exists()
        else:
            convention.refresh_from_db()
            assert convention.statut == permises[statut]
            derniere = convention.history.latest("history_date")
            assert derniere.history_user == alice_agent
            assert derniere.history_change_reason
    else:
        with pytest.raises(ValidationError) as erreur:
            agir(action, convention, alice_agent)
        assert "Statut." not in erreur.value.messages[0]
        assert (
            "ne peut pas passer" in erreur.value.messages[0]
            or "Impossible de" in erreur.value.messages[0]
        )
        convention.refresh_from_db()
        assert convention.statut == statut


@pytest.mark.parametrize(
    ("depart", "arrivee"), list(itertools.product(Statut.values, Statut.values))
)
def test_only_the_lifecycle_transitions_are_allowed(depart, arrivee):
    cycle = {
        (Statut.BROUILLON, Statut.EN_SIGNATURE),
        (Statut.EN_SIGNATURE, Statut.SIGNEE),
        (Statut.SIGNEE, Statut.RESILIEE),
        (Statut.SIGNEE, Statut.EXPIREE),
    }

    assert services.transition_permise(depart, arrivee) == ((depart, arrivee) in cycle)


def test_a_refused_transition_says_so_in_french(grille_2024_14, alice_agent):
    convention = convention_a_l_etat(Statut.BROUILLON, grille_2024_14)

    with pytest.raises(ValidationError) as erreur:
        agir("resilier", convention, alice_agent)

    assert erreur.value.messages == [
        "Une convention à l'état « Brouillon » ne peut pas passer à l'état "
        "« Résiliée »."
    ]


# --- Résiliation, expiration, suppression ---------------------------------


@pytest.mark.parametrize("motif", ["", "   "])
def test_a_termination_requires_a_reason(grille_2024_14, alice_agent, motif):
    convention = convention_a_l_etat(Statut.SIGNEE, grille_2024_14)

    with pytest.raises(ValidationError) as erreur:
        services.convention_resilier(
            convention=convention, date=JOUR, motif=motif, par=alice_agent
        )

    assert erreur.value.messages == ["Indiquez le motif de la résiliation."]
    convention.refresh_from_db()
    assert convention.statut == Statut.SIGNEE


def test_a_termination_cannot_predate_the_effective_date(grille_2024_14, alice_agent):
    convention = convention_a_l_etat(Statut.SIGNEE, grille_2024_14)

    with pytest.raises(ValidationError, match="ne peut pas précéder"):
        services.convention_resilier(
            convention=convention,
            date=JOUR - datetime.timedelta(days=1),
            motif="Erreur",
            par=alice_agent,
        )


def test_a_termination_records_its_date_and_reason(grille_2024_14, alice_agent):
    convention = convention_a_l_etat(Statut.SIGNEE, grille_2024_14)

    services.convention_resilier(
        convention=convention,
        date=datetime.date(2025, 3, 1),
        motif="Fusion avec la commune voisine",
        par=alice_agent,
    )

    convention.refresh_from_db()
    assert convention.statut == Statut.RESILIEE
    assert convention.resiliation_date == datetime.date(2025, 3, 1)
    assert convention.resiliation_motif == "Fusion avec la commune voisine"
    derniere = convention.history.latest("history_date")
    assert derniere.history_change_reason == (
        "Résiliée au 1er mars 2025 : Fusion avec la commune voisine"
    )


def test_a_deleted_draft_leaves_a_trace_in_history(grille_2024_14, alice_agent):
    convention = convention_a_l_etat(Statut.BROUILLON, grille_2024_14)
    pk = convention.pk

    services.convention_supprimer_brouillon(convention=convention, par=alice_agent)

    trace = Convention.history.filter(id=pk).latest("history_date")
    assert trace.history_type == "-"
    assert trace.history_user == alice_agent
    assert trace.history_change_reason == "Brouillon supprimé"


# --- Collectivités --------------------------------------------------------


def test_creating_and_editing_a_collectivite_is_logged(db, alice_agent):
    collectivite = services.collectivite_creer(
        donnees={"type": Collectivite.Type.COMMUNE, "nom": "Ruitz", "population": 1600},
        par=alice_agent,
    )

    modifies = services.collectivite_modifier(
        collectivite=collectivite,
        donnees={"nom": "Ruitz", "population": 1650, "population_annee": 2022},
        par=alice_agent,
    )

    assert modifies == ["population", "population_annee"]
    modification, creation = collectivite.history.order_by("-history_id")
    assert creation.history_user == alice_agent
    assert creation.history_change_reason == "Création"
    assert modification.history_user == alice_agent
    assert modification.history_change_reason == (
        "Modification : population totale, année de la population"
    )


def test_an_edit_without_change_writes_nothing(db, alice_agent):
    collectivite = CollectiviteFactory(nom="Ruitz")

    assert (
        services.collectivite_modifier(
            collectivite=collectivite, donnees={"nom": "Ruitz"}, par=alice_agent
        )
        == []
    )
    assert collectivite.history.count() == 1
