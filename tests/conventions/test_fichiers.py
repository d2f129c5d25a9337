from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from conventions import services
from conventions.fichiers import TAILLE_MAX_SCAN, verifier_pdf
from conventions.models import Convention
from tests.factories import ConventionFactory, pdf_octets, stockage_prive_dans


@pytest.fixture
def stockage(tmp_path, settings):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    with stockage_prive_dans(tmp_path / "prive"):
        yield tmp_path / "prive"


def depot(contenu: bytes, nom: str = "convention-signee.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(nom, contenu, content_type="application/pdf")


def refus(fichier) -> list[str]:
    with pytest.raises(ValidationError) as erreur:
        verifier_pdf(fichier)
    return erreur.value.messages


def test_it_accepts_a_real_pdf_and_returns_its_sha256():
    contenu = pdf_octets(pages=2)

    assert verifier_pdf(depot(contenu)) == hashlib.sha256(contenu).hexdigest()


def test_it_accepts_an_uppercase_extension():
    assert verifier_pdf(depot(pdf_octets(), "SCAN.PDF"))


def test_it_refuses_a_text_file_named_pdf():
    fichier = depot(b"Ceci est un texte, pas un PDF.\n")

    assert refus(fichier) == [
        "Ce fichier n'est pas un PDF : son contenu ne commence pas par « %PDF- ». "
        "Enregistrez le scan au format PDF."
    ]


def test_it_refuses_a_pdf_without_the_pdf_extension():
    assert refus(depot(pdf_octets(), "scan.docx")) == [
        "Le fichier doit être un PDF (extension .pdf)."
    ]


def test_it_refuses_a_file_over_the_size_limit():
    contenu = b"%PDF-1.4\n" + b"0" * TAILLE_MAX_SCAN

    assert TAILLE_MAX_SCAN == 10 * 1024 * 1024
    assert refus(depot(contenu)) == [
        "Le fichier pèse 10,1 Mo : la taille maximale est de 10 Mo."
    ]


def test_a_file_of_exactly_the_size_limit_is_not_refused_for_its_size():
    contenu = pdf_octets()
    contenu += b"%" * (TAILLE_MAX_SCAN - len(contenu))

    assert len(contenu) == TAILLE_MAX_SCAN
    assert verifier_pdf(depot(contenu))


def test_it_refuses_an_encrypted_pdf():
    assert refus(depot(pdf_octets(mot_de_passe="secret"))) == [
        "Le PDF est protégé par un mot de passe (chiffré) : déposez une version "
        "sans protection."
    ]


@pytest.mark.parametrize(
    "contenu",
    [
        b"%PDF-1.4\n" + b"n'importe quoi " * 100,
        b"%PDF-1.4\n",
        pdf_octets()[:200],
    ],
    ids=["garbage", "header-only", "truncated"],
)
def test_it_refuses_a_broken_pdf(contenu):
    assert refus(depot(contenu)) == [
        "Le PDF est illisible ou endommagé. Refaites le scan ou exportez-le "
        "de nouveau en PDF."
    ]


def test_it_refuses_a_pdf_without_pages():
    assert refus(depot(pdf_octets(pages=0))) == ["Le PDF ne contient aucune page."]


def test_it_refuses_an_empty_file():
    assert refus(depot(b"")) == ["Le fichier est vide."]


def test_the_deposited_scan_is_stored_privately_with_its_sha256(
    grille_2024_14, alice_agent, stockage, settings
):
    convention = ConventionFactory(grille=grille_2024_14, signee=True)
    contenu = pdf_octets()

    services.convention_deposer_scan(
        convention=convention, fichier=depot(contenu), par=alice_agent
    )

    convention.refresh_from_db()
    chemin = Path(convention.scan.path).resolve()
    assert convention.scan_sha256 == hashlib.sha256(contenu).hexdigest()
    assert convention.scan_depose_le is not None
    assert chemin.read_bytes() == contenu
    assert chemin.is_relative_to(stockage.resolve())
    assert not chemin.is_relative_to(Path(settings.MEDIA_ROOT).resolve())


def test_a_refused_scan_leaves_nothing_behind(grille_2024_14, alice_agent, stockage):
    convention = ConventionFactory(grille=grille_2024_14, signee=True)

    with pytest.raises(ValidationError):
        services.convention_deposer_scan(
            convention=convention, fichier=depot(b"pas un pdf"), par=alice_agent
        )

    convention.refresh_from_db()
    assert not convention.scan and convention.scan_sha256 == ""
    assert not any(stockage.rglob("*.pdf"))


def test_a_new_scan_replaces_the_old_file(
    grille_2024_14, alice_agent, stockage, django_capture_on_commit_callbacks
):
    convention = ConventionFactory(grille=grille_2024_14, signee=True)
    premier, second = pdf_octets(pages=1), pdf_octets(pages=2)

    with django_capture_on_commit_callbacks(execute=True):
        services.convention_deposer_scan(
            convention=convention, fichier=depot(premier), par=alice_agent
        )
    with django_capture_on_commit_callbacks(execute=True):
        services.convention_deposer_scan(
            convention=convention, fichier=depot(second), par=alice_agent
        )

    convention = Convention.objects.get(pk=convention.pk)
    assert convention.scan.read() == second
    assert [p.read_bytes() for p in stockage.rglob("*.pdf")] == [second]
