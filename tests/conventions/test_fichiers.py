from __future__ import annotations

import hashlib
import io
import zlib
from pathlib import Path

import pikepdf
import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from conventions import services
from conventions.fichiers import MESSAGES_REFUS, TAILLE_MAX_SCAN, verifier_pdf
from conventions.models import Convention
from tests.factories import ConventionFactory, pdf_octets


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
    # Des blancs après « %%EOF » : seuls admis après la fin du PDF.
    contenu += b"\n" * (TAILLE_MAX_SCAN - len(contenu))

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


# --- PDF hostiles, fabriqués avec pikepdf -------------------------------------


def _pdf(preparer=None, *, pages: int = 1) -> bytes:
    """Un PDF de ``pages`` pages blanches, modifié par ``preparer(pdf)``."""
    document = pikepdf.new()
    for _ in range(pages):
        document.add_blank_page(page_size=(595, 842))
    if preparer:
        preparer(document)
    tampon = io.BytesIO()
    document.save(tampon)
    return tampon.getvalue()


def _action_a_l_ouverture(action: dict):
    def preparer(document):
        document.Root.OpenAction = document.make_indirect(pikepdf.Dictionary(action))

    return preparer


def test_a_javascript_open_action_behind_50010_padding_objects_is_refused():
    def preparer(document):
        rembourrage = [
            document.make_indirect(pikepdf.Dictionary(N=i)) for i in range(50_010)
        ]
        document.Root.Rembourrage = pikepdf.Array(rembourrage)
        document.Root.OpenAction = document.make_indirect(
            pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS="app.alert(1)")
        )

    contenu = _pdf(preparer)

    assert len(pikepdf.open(io.BytesIO(contenu)).objects) > 50_010
    assert refus(depot(contenu)) == [MESSAGES_REFUS["javascript"]]


def test_javascript_in_a_direct_dictionary_of_a_page_annotation_is_refused():
    def preparer(document):
        document.pages[0].Annots = pikepdf.Array(
            [
                pikepdf.Dictionary(
                    Type=pikepdf.Name.Annot,
                    Subtype=pikepdf.Name.Link,
                    Rect=[0, 0, 10, 10],
                    A=pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS="x()"),
                )
            ]
        )

    assert refus(depot(_pdf(preparer))) == [MESSAGES_REFUS["javascript"]]


def test_a_javascript_name_tree_is_refused():
    def preparer(document):
        document.Root.Names = pikepdf.Dictionary(
            JavaScript=pikepdf.Dictionary(Names=pikepdf.Array([]))
        )

    assert refus(depot(_pdf(preparer))) == [MESSAGES_REFUS["javascript"]]


@pytest.mark.parametrize(
    ("action", "motif"),
    [
        ({"/S": pikepdf.Name.Launch, "/F": "calc.exe"}, "lancement"),
        ({"/S": pikepdf.Name.URI, "/URI": "https://exemple.test/"}, "lien"),
        (
            {"/S": pikepdf.Name.SubmitForm, "/F": "https://exemple.test/"},
            "envoi_formulaire",
        ),
        ({"/S": pikepdf.Name.ResetForm}, "remise_a_zero"),
        ({"/S": pikepdf.Name.GoToR, "/F": "autre.pdf", "/D": [0]}, "autre_document"),
        ({"/S": pikepdf.Name.GoToE, "/D": [0]}, "autre_document"),
        ({"/S": pikepdf.Name.ImportData, "/F": "donnees.fdf"}, "import_donnees"),
    ],
    ids=["launch", "uri", "submitform", "resetform", "gotor", "gotoe", "importdata"],
)
def test_each_action_that_leaves_the_document_is_refused_with_its_own_message(
    action, motif
):
    assert refus(depot(_pdf(_action_a_l_ouverture(action)))) == [MESSAGES_REFUS[motif]]


def test_every_refusal_reason_has_its_own_message():
    assert len(set(MESSAGES_REFUS.values())) == len(MESSAGES_REFUS)


def test_an_embedded_file_is_refused():
    def preparer(document):
        document.attachments["facture.exe"] = pikepdf.AttachedFileSpec(
            document, b"MZ\x90\x00", mime_type="application/octet-stream"
        )

    assert refus(depot(_pdf(preparer))) == [MESSAGES_REFUS["fichier_joint"]]


def test_a_file_attachment_annotation_is_refused():
    def preparer(document):
        document.pages[0].Annots = document.make_indirect(
            pikepdf.Array(
                [
                    pikepdf.Dictionary(
                        Type=pikepdf.Name.Annot,
                        Subtype=pikepdf.Name.FileAttachment,
                        Rect=[0, 0, 10, 10],
                    )
                ]
            )
        )

    assert refus(depot(_pdf(preparer))) == [MESSAGES_REFUS["fichier_joint"]]


def test_an_xfa_form_and_rich_media_are_refused():
    def xfa(document):
        document.Root.AcroForm = pikepdf.Dictionary(Fields=[], XFA="<xdp/>")

    def multimedia(document):
        document.Root.Media = document.make_indirect(
            pikepdf.Dictionary(Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.RichMedia)
        )

    assert refus(depot(_pdf(xfa))) == [MESSAGES_REFUS["xfa"]]
    assert refus(depot(_pdf(multimedia))) == [MESSAGES_REFUS["multimedia"]]


def test_a_polyglot_with_html_after_the_end_of_file_marker_is_refused():
    contenu = _pdf() + b"<html><script>alert(1)</script></html>\n"

    assert refus(depot(contenu)) == [MESSAGES_REFUS["apres_fin"]]


def test_data_before_the_pdf_header_is_refused():
    contenu = b"<html><!-- " + _pdf()

    assert refus(depot(contenu)) == [MESSAGES_REFUS["avant_entete"]]


def test_trailing_whitespace_after_the_end_of_file_marker_is_accepted():
    contenu = _pdf() + b"\r\n  \n"

    assert verifier_pdf(depot(contenu)) == hashlib.sha256(contenu).hexdigest()


def _flux_compresse(document, donnees_brutes: bytes, filtres):
    flux = pikepdf.Stream(document, b"")
    flux.write(donnees_brutes, filter=filtres)
    return document.make_indirect(flux)


def _deflate_de_zeros(octets: int) -> bytes:
    """Zéros compressés par morceaux : ~1 Mo pour 1 Go, sans jamais allouer 1 Go."""
    compresseur = zlib.compressobj(9)
    morceau = bytes(1024 * 1024)
    sortie = [compresseur.compress(morceau) for _ in range(octets // len(morceau))]
    sortie.append(compresseur.flush())
    return b"".join(sortie)


def test_a_flate_stream_inflating_to_one_gigabyte_is_refused_without_inflating_it():
    bombe = _deflate_de_zeros(1024 * 1024 * 1024)
    contenu = _pdf(
        lambda d: d.Root.__setattr__(
            "Bombe", _flux_compresse(d, bombe, pikepdf.Name.FlateDecode)
        )
    )

    assert len(contenu) < TAILLE_MAX_SCAN
    assert refus(depot(contenu)) == [MESSAGES_REFUS["bombe"]]


def test_a_nested_flate_bomb_is_refused():
    interieur = _deflate_de_zeros(200 * 1024 * 1024)
    exterieur = zlib.compress(interieur, 9)
    contenu = _pdf(
        lambda d: d.Root.__setattr__(
            "Bombe",
            _flux_compresse(
                d,
                exterieur,
                pikepdf.Array([pikepdf.Name.FlateDecode, pikepdf.Name.FlateDecode]),
            ),
        )
    )

    assert refus(depot(contenu)) == [MESSAGES_REFUS["bombe"]]


def test_a_legitimate_multipage_scan_with_a_jpeg_image_is_accepted():
    from PIL import Image

    image = io.BytesIO()
    Image.new("L", (850, 1100), color=235).save(image, format="JPEG", quality=80)

    def preparer(document):
        for page in document.pages:
            jpeg = pikepdf.Stream(document, image.getvalue())
            jpeg.Type, jpeg.Subtype = pikepdf.Name.XObject, pikepdf.Name.Image
            jpeg.Width, jpeg.Height, jpeg.BitsPerComponent = 850, 1100, 8
            jpeg.ColorSpace = pikepdf.Name.DeviceGray
            jpeg.Filter = pikepdf.Name.DCTDecode
            page.Resources = pikepdf.Dictionary(
                XObject=pikepdf.Dictionary(Im0=document.make_indirect(jpeg))
            )
            page.Contents = document.make_indirect(
                pikepdf.Stream(document, b"q 595 0 0 842 0 0 cm /Im0 Do Q")
            )

    contenu = _pdf(preparer, pages=3)

    assert verifier_pdf(depot(contenu)) == hashlib.sha256(contenu).hexdigest()


def test_a_large_but_honest_flate_stream_is_accepted():
    # Une page blanche A4 à 300 dpi en niveaux de gris : ~8,7 Mo de 0xFF.
    page_blanche = zlib.compress(b"\xff" * (2480 * 3508), 9)
    contenu = _pdf(
        lambda d: d.Root.__setattr__(
            "Image", _flux_compresse(d, page_blanche, pikepdf.Name.FlateDecode)
        )
    )

    assert verifier_pdf(depot(contenu))
