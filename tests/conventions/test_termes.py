"""Les termes de la convention (durée, renouvellement, préavis) sont des données
versionnées ; une convention incomplète ne part pas en signature et ne se signe
pas ; son PDF est rendu une fois, conservé et servi tel quel."""

from __future__ import annotations

import datetime
import hashlib
import io
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from conventions import services
from conventions.completude import DocumentIncomplet
from conventions.models import (
    Convention,
    Organisme,
    Signature,
    TermesConvention,
    TermesVerrouilles,
)
from conventions.selectors import termes_en_vigueur
from tests.factories import CollectiviteFactory, ConventionFactory

Partie = Signature.Partie
JOUR = datetime.date(2024, 5, 2)


@pytest.fixture
def brouillon(grille_2024_14):
    return ConventionFactory(grille=grille_2024_14)


def _texte(contenu: bytes) -> str:
    lecteur = PdfReader(io.BytesIO(contenu))
    texte = " ".join(page.extract_text() for page in lecteur.pages)
    # Césure : « sui‐ vantes » (trait d'union U+2010 en fin de ligne).
    return " ".join(texte.replace("\xa0", " ").split()).replace("\u2010 ", "")


def _lire(champ) -> bytes:
    with champ.open("rb") as fichier:
        return fichier.read()


def _signer(convention, partie, par):
    return services.convention_signer(
        convention=convention,
        partie=partie,
        signataire_nom="Dominique Durand",
        signataire_qualite="Maire" if partie == Partie.COLLECTIVITE else "Président",
        date=JOUR,
        par=par,
    )


# --- Versions des termes ----------------------------------------------------------


def test_a_published_version_of_the_terms_can_never_be_modified(db):
    termes = termes_en_vigueur()
    termes.duree_annees = 10

    with pytest.raises(TermesVerrouilles):
        termes.save()
    with pytest.raises(TermesVerrouilles):
        termes.delete()


def test_the_terms_in_force_are_the_latest_published_version_at_the_date(db):
    ancienne = termes_en_vigueur()
    TermesConvention.objects.create(
        reference="Brouillon", date_effet=datetime.date(2025, 1, 1)
    )
    nouvelle = TermesConvention.objects.create(
        reference="2025/3",
        date_effet=datetime.date(2025, 6, 1),
        statut=TermesConvention.Statut.PUBLIEE,
        duree_annees=4,
        reconduction="expresse",
        preavis_mois=6,
    )

    assert termes_en_vigueur(datetime.date(2025, 5, 31)) == ancienne
    assert termes_en_vigueur(datetime.date(2025, 6, 1)) == nouvelle


def test_the_convention_sent_prints_the_terms_it_was_sent_with(brouillon, alice_agent):
    convention = services.convention_envoyer_en_signature(
        convention=brouillon, par=alice_agent
    )

    texte = _texte(_lire(convention.pdf_envoye))
    assert convention.termes == termes_en_vigueur()
    assert "conclue pour une durée de 3 ans" in texte
    assert "reconduite tacitement par périodes d’un an" in texte  # ’ : typographie
    assert "préavis de 3 mois" in texte
    assert "à compléter" not in texte
    assert "exemplaire à signer" in texte


# --- Refus des conventions incomplètes --------------------------------------------

EMETTEUR = [
    ("statut_juridique", "le statut juridique"),
    ("adresse", "l'adresse"),
    ("code_postal", "le code postal"),
    ("ville", "la ville"),
    ("siret", "le SIRET"),
    ("mention_tva", "la mention TVA"),
    ("signataire_nom", "le nom du signataire"),
    ("signataire_qualite", "la qualité du signataire"),
]


@pytest.mark.parametrize("code", ["fibre", "cdg"])
@pytest.mark.parametrize(("champ", "libelle"), EMETTEUR)
def test_sending_is_refused_when_an_issuer_fact_is_missing(
    brouillon, alice_agent, code, champ, libelle
):
    Organisme.objects.filter(code=code).update(**{champ: ""})
    organisme = Organisme.objects.get(code=code)

    with pytest.raises(DocumentIncomplet) as refus:
        services.convention_envoyer_en_signature(convention=brouillon, par=alice_agent)

    assert f"{libelle} de {organisme.nom}" in refus.value.message
    assert refus.value.manques[0].lien == reverse(
        "admin:conventions_organisme_change", args=[organisme.pk]
    )
    brouillon.refresh_from_db()
    assert brouillon.statut == Convention.Statut.BROUILLON
    assert not brouillon.pdf_envoye


@pytest.mark.parametrize(
    ("champs", "libelle"),
    [
        ({"adresse": ""}, "l'adresse"),
        ({"code_postal": ""}, "le code postal"),
        ({"ville": ""}, "la commune de l'adresse"),
        ({"siren": "", "siret": ""}, "le SIREN ou le SIRET"),
        ({"code_insee": ""}, "le code INSEE"),
    ],
)
def test_sending_is_refused_when_a_collectivite_fact_is_missing(
    grille_2024_14, alice_agent, champs, libelle
):
    collectivite = CollectiviteFactory(**champs)
    convention = ConventionFactory(collectivite=collectivite, grille=grille_2024_14)

    with pytest.raises(DocumentIncomplet) as refus:
        services.convention_envoyer_en_signature(convention=convention, par=alice_agent)

    assert f"{libelle} de {collectivite.nom}" in refus.value.message
    assert refus.value.manques[0].lien == reverse(
        "gestion:collectivite_modifier", kwargs={"pk": collectivite.pk}
    )


@pytest.mark.parametrize(
    ("champ", "valeur", "libelle"),
    [
        ("duree_annees", None, "la durée de la convention"),
        ("reconduction", "", "les conditions de renouvellement"),
        ("preavis_mois", None, "le préavis de résiliation"),
    ],
)
def test_sending_is_refused_when_a_term_is_missing(
    brouillon, alice_agent, champ, valeur, libelle
):
    # Une version publiée ne se corrige pas : la nouvelle, en vigueur ce jour,
    # laisse le terme vide.
    en_vigueur = TermesConvention.objects.get(statut="publiee")
    termes = {
        "duree_annees": en_vigueur.duree_annees,
        "reconduction": en_vigueur.reconduction,
        "preavis_mois": en_vigueur.preavis_mois,
        champ: valeur,
    }
    TermesConvention.objects.create(
        reference="Incomplète",
        date_effet=timezone.localdate(),
        statut="publiee",
        **termes,
    )

    with pytest.raises(DocumentIncomplet) as refus:
        services.convention_envoyer_en_signature(convention=brouillon, par=alice_agent)

    assert libelle in refus.value.message


@pytest.mark.sans_termes
def test_sending_is_refused_without_terms_in_force(brouillon, alice_agent):
    assert not TermesConvention.objects.exists()

    with pytest.raises(DocumentIncomplet) as refus:
        services.convention_envoyer_en_signature(convention=brouillon, par=alice_agent)

    assert "les termes de la convention" in refus.value.message


def test_signing_a_draft_is_refused_when_it_is_incomplete(brouillon, alice_agent):
    Organisme.objects.filter(code="cdg").update(siret="")

    with pytest.raises(DocumentIncomplet) as refus:
        _signer(brouillon, Partie.COLLECTIVITE, alice_agent)

    assert "le SIRET de Centre de Gestion" in refus.value.message
    assert not Signature.objects.exists()


def test_the_last_signature_is_refused_when_a_fact_went_missing(brouillon, alice_agent):
    convention = _signer(brouillon, Partie.COLLECTIVITE, alice_agent)
    convention = _signer(convention, Partie.FIBRE, alice_agent)
    Organisme.objects.filter(code="fibre").update(mention_tva="")

    with pytest.raises(ValidationError) as refus:
        _signer(convention, Partie.CDG, alice_agent)

    assert "la mention TVA" in " ".join(refus.value.messages)
    convention.refresh_from_db()
    assert convention.statut == Convention.Statut.EN_SIGNATURE
    assert not convention.pdf_signe
    assert convention.signatures.count() == 2


def test_the_convention_page_lists_what_is_missing_with_links(
    client, alice_agent, brouillon
):
    Organisme.objects.filter(code="fibre").update(siret="")
    organisme = Organisme.objects.get(code="fibre")
    client.force_login(alice_agent)

    reponse = client.get(reverse("gestion:convention", args=[brouillon.pk]))

    texte = reponse.content.decode()
    assert "Le SIRET de La Fibre" in texte
    assert reverse("admin:conventions_organisme_change", args=[organisme.pk]) in texte


# --- Le document conservé --------------------------------------------------------


def test_the_pdf_is_stored_with_its_sha256_when_sent(brouillon, alice_agent):
    convention = services.convention_envoyer_en_signature(
        convention=brouillon, par=alice_agent
    )

    contenu = _lire(convention.pdf_envoye)
    assert contenu.startswith(b"%PDF-")
    assert convention.pdf_envoye_sha256 == hashlib.sha256(contenu).hexdigest()
    assert convention.statut == Convention.Statut.EN_SIGNATURE


def test_the_third_signature_stores_the_signed_version(brouillon, alice_agent):
    convention = brouillon
    for partie in Partie:
        convention = _signer(convention, partie, alice_agent)

    contenu = _lire(convention.pdf_signe)
    texte = _texte(contenu)
    assert convention.statut == Convention.Statut.SIGNEE
    assert convention.pdf_signe_sha256 == hashlib.sha256(contenu).hexdigest()
    assert "version signée" in texte
    assert "Dominique Durand" in texte
    assert convention.pdf_envoye  # l'exemplaire envoyé demeure


def test_the_stored_pdf_is_unchanged_after_an_issuer_edit(
    client, alice_agent, brouillon
):
    convention = services.convention_envoyer_en_signature(
        convention=brouillon, par=alice_agent
    )
    client.force_login(alice_agent)
    avant = b"".join(
        client.get(reverse("gestion:convention_pdf", args=[convention.pk]))
    )
    sha = convention.pdf_envoye_sha256

    organisme = Organisme.objects.get(code="fibre")
    organisme.adresse = "99 avenue Nouvelle"
    organisme.save()
    convention.collectivite.adresse = "Autre adresse"
    convention.collectivite.save()

    apres = b"".join(
        client.get(reverse("gestion:convention_pdf", args=[convention.pk]))
    )
    convention.refresh_from_db()
    assert apres == avant == _lire(convention.pdf_envoye)
    assert convention.pdf_envoye_sha256 == sha
    assert "99 avenue Nouvelle" not in _texte(apres)


def test_the_stored_pdf_is_served_privately(client, alice_agent, brouillon):
    convention = services.convention_envoyer_en_signature(
        convention=brouillon, par=alice_agent
    )
    client.force_login(alice_agent)

    reponse = client.get(reverse("gestion:convention_pdf", args=[convention.pk]))

    assert reponse.status_code == 200
    assert reponse["Cache-Control"] == "private, no-store"
    assert b"".join(reponse) == _lire(convention.pdf_envoye)


def test_a_draft_still_renders_live_marked_as_a_projet(client, alice_agent, brouillon):
    client.force_login(alice_agent)

    reponse = client.get(reverse("gestion:convention_pdf", args=[brouillon.pk]))

    assert reponse.status_code == 200
    assert "projet" in _texte(reponse.content)


def test_a_failed_render_leaves_the_draft_and_no_file(
    brouillon, alice_agent, monkeypatch, stockage_prive_temporaire
):
    def en_panne(convention, *, version):
        raise RuntimeError("moteur PDF en panne")

    monkeypatch.setattr(services, "_rendre", en_panne)

    with pytest.raises(RuntimeError):
        services.convention_envoyer_en_signature(convention=brouillon, par=alice_agent)

    brouillon.refresh_from_db()
    assert brouillon.statut == Convention.Statut.BROUILLON
    assert not brouillon.pdf_envoye


def test_a_failed_save_leaves_no_orphan_file(
    brouillon, alice_agent, monkeypatch, stockage_prive_temporaire
):
    def refus(convention, *, par, motif):
        raise ValidationError("refusé par la base")

    monkeypatch.setattr(services, "_enregistrer", refus)

    with pytest.raises(ValidationError):
        services.convention_envoyer_en_signature(convention=brouillon, par=alice_agent)

    dossier = stockage_prive_temporaire.location
    fichiers = [f for f in Path(dossier).rglob("*.pdf") if f.is_file()]
    assert fichiers == []
    brouillon.refresh_from_db()
    assert brouillon.statut == Convention.Statut.BROUILLON
