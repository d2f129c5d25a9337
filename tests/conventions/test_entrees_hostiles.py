"""Entrées hostiles des collectivités et des conventions : formulaires de
fiche, forçage de catégorie, signature, résiliation, expiration, dépôt du scan
(seul un PDF acceptable passe), listes filtrées (charges : ``tests.hostiles``)."""

from __future__ import annotations

import html
import io
import re
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conventions.fichiers import TAILLE_MAX_SCAN
from conventions.models import Collectivite, Convention, Signature
from tests.factories import (
    pdf_octets,
    siren_valide,
    siret_valide,
)
from tests.hostiles import (
    DATES,
    IMG,
    NOMBRES,
    PARAMETRES,
    REFUS_LIGNE,
    SCRIPT,
    SCRIPT_ECHAPPE,
    TEXTES,
    compter,
    refus_en_francais,
    sans_controle,
    sans_faille,
    suivre,
)

Statut = Convention.Statut

pytestmark = pytest.mark.usefixtures("pdf_rapide")


# --- Collectivité : création --------------------------------------------------

COLLECTIVITE_VALIDE = {
    "type": "commune",
    "nom": "Bours",
    "siren": siren_valide(900),
    "siret": siret_valide(siren_valide(900)),
    "code_insee": "62999",
    "adresse": "1 place de la Mairie",
    "code_postal": "62550",
    "ville": "Bours",
    "population": "600",
    "population_annee": "2021",
    "agents": "",
    "agents_date": "",
    "emails_contact": "mairie@bours.example",
    "telephone": "03 21 00 00 00",
}
CHAMPS_TEXTE = [
    "nom",
    "siren",
    "siret",
    "code_insee",
    "adresse",
    "code_postal",
    "ville",
    "emails_contact",
    "telephone",
]
CHAMPS_NOMBRE = ["population", "population_annee", "agents"]
URL_CREER = "/gestion/collectivites/nouvelle/"


def essayer_collectivite(client, donnees: dict, champ: str, cle: str) -> bool:
    """Crée une collectivité avec ``donnees`` ; renvoie ``True`` si refusée.

    Refusée : erreurs françaises, rien d'écrit. Acceptée : enregistrée propre
    (ni NUL ni caractère de contrôle), affichée échappée, puis effacée pour
    l'essai suivant.
    """
    avant = compter()
    reponse = client.post(URL_CREER, donnees)
    if reponse.status_code != 302:
        refus_en_francais(reponse, avant)
        if cle == "script":
            assert SCRIPT_ECHAPPE in reponse.content.decode()
        return True
    collectivite = Collectivite.objects.get(nom=donnees["nom"].strip())
    for nom_champ in CHAMPS_TEXTE:
        assert sans_controle(getattr(collectivite, nom_champ)), nom_champ
    contenu = sans_faille(suivre(client, reponse))
    if cle in ("script", "img") and champ in ("nom", "adresse", "ville"):
        assert html.escape(TEXTES[cle]) in contenu
    collectivite.delete()
    return False


@pytest.mark.parametrize("champ", CHAMPS_TEXTE)
def test_the_collectivite_form_survives_hostile_text(agent, ruitz, champ):
    for cle, valeur in TEXTES.items():
        refusee = essayer_collectivite(
            agent, {**COLLECTIVITE_VALIDE, champ: valeur}, champ, cle
        )
        if cle in REFUS_LIGNE or (cle in ("vide", "espaces") and champ == "nom"):
            assert refusee, f"{cle} accepté à tort"


@pytest.mark.parametrize("champ", CHAMPS_NOMBRE)
def test_the_collectivite_form_survives_hostile_numbers(agent, ruitz, champ):
    for cle, valeur in NOMBRES.items():
        donnees = {**COLLECTIVITE_VALIDE, champ: valeur}
        if cle in ("negatif", "immense", "exposant", "nan", "infini", "nul", "long"):
            assert essayer_collectivite(agent, donnees, champ, cle), cle
            continue
        avant = compter()
        reponse = agent.post(URL_CREER, donnees)
        if reponse.status_code == 302:
            bours = Collectivite.objects.get(nom="Bours")
            valeur = getattr(bours, champ)
            assert valeur is None or isinstance(valeur, int) and 0 <= valeur < 2**31
            bours.delete()
        else:
            refus_en_francais(reponse, avant)


def test_the_collectivite_form_survives_hostile_dates(agent, ruitz):
    for cle, valeur in DATES.items():
        donnees = {**COLLECTIVITE_VALIDE, "agents": "12", "agents_date": valeur}
        refusee = essayer_collectivite(agent, donnees, "agents_date", cle)
        assert refusee or cle == "vide", f"{cle} accepté à tort"


@pytest.mark.parametrize(
    "donnees",
    [
        {**COLLECTIVITE_VALIDE, "type": "mairie"},
        {**COLLECTIVITE_VALIDE, "type": SCRIPT},
        {**COLLECTIVITE_VALIDE, "type": "commune\x00"},
        {**COLLECTIVITE_VALIDE, "code_insee": "٦٢٩٩٩"},
        {**COLLECTIVITE_VALIDE, "code_postal": "٦٢٥٥٠"},
        {**COLLECTIVITE_VALIDE, "code_insee": "62999\n"},
        {**COLLECTIVITE_VALIDE, "telephone": "03 21 00 00 00\n"},
        {**COLLECTIVITE_VALIDE, "emails_contact": f"a@b.fr, {SCRIPT}"},
        {**COLLECTIVITE_VALIDE, "emails_contact": "a@b.fr\r\nBcc: c@d.fr"},
        {**COLLECTIVITE_VALIDE, "emails_contact": ", ".join(["a@b.fr"] * 40)},
    ],
    ids=[
        "type_inconnu",
        "type_script",
        "type_nul",
        "insee_chiffres_arabes",
        "postal_chiffres_arabes",
        "insee_fin_de_ligne",
        "telephone_fin_de_ligne",
        "email_script",
        "email_crlf",
        "emails_trop_longs",
    ],
)
def test_the_collectivite_form_refuses_unknown_choices_and_exotic_codes(
    agent, ruitz, donnees
):
    avant = compter()
    reponse = agent.post(URL_CREER, donnees)
    if reponse.status_code == 302:
        # Une fin de ligne autour d'un code est une espace : nettoyée, acceptée.
        bours = Collectivite.objects.get(nom="Bours")
        assert re.fullmatch(r"[0-9AB]{5}", bours.code_insee)
        assert re.fullmatch(r"[0-9]{5}", bours.code_postal)
        assert sans_controle(bours.emails_contact) and "\n" not in bours.emails_contact
        assert sans_controle(bours.telephone)
        return
    refus_en_francais(reponse, avant)


def test_repeated_keys_keep_a_single_value(agent, ruitz):
    donnees = {**COLLECTIVITE_VALIDE, "nom": ["Bours", "Ruitz\x00"], "type": ["x"]}
    avant = compter()
    reponse = agent.post(URL_CREER, donnees)
    refus_en_francais(reponse, avant)


@pytest.mark.parametrize(
    "url", [URL_CREER, "/gestion/devis/nouveau", "/gestion/devis/chiffrage"]
)
def test_an_oversized_or_overcrowded_post_gets_a_french_400_page(agent, ruitz, url):
    for donnees in (
        {"nom": "é" * 1_500_000},  # 3 Mo : au-delà de DATA_UPLOAD_MAX_MEMORY_SIZE
        {f"champ{i}": "x" for i in range(1500)},  # DATA_UPLOAD_MAX_NUMBER_FIELDS
    ):
        avant = compter()
        reponse = agent.post(url, donnees)
        assert reponse.status_code == 400
        assert "Requête refusée" in reponse.content.decode()
        assert compter() == avant


# --- Collectivité : modification (l'existant reste intact) ------------------------


@pytest.mark.parametrize("champ", [*CHAMPS_TEXTE, *CHAMPS_NOMBRE, "agents_date"])
def test_the_edit_form_never_damages_the_collectivite(agent, ruitz, champ):
    from django.forms.models import model_to_dict

    valeurs = model_to_dict(Collectivite.objects.get(pk=ruitz.pk))
    valeurs = {k: ("" if v is None else v) for k, v in valeurs.items()}
    for cle in ("long_1M", "nul", "crlf", "bidi", "script", "sql"):
        initial = model_to_dict(Collectivite.objects.get(pk=ruitz.pk))
        donnees = {k: valeurs[k] for k in COLLECTIVITE_VALIDE} | {champ: TEXTES[cle]}
        avant = compter()
        reponse = agent.post(f"/gestion/collectivites/{ruitz.pk}/modifier/", donnees)
        if reponse.status_code == 302:
            assert cle in ("script", "sql") and champ in ("nom", "adresse", "ville")
            ruitz.refresh_from_db()
            assert getattr(ruitz, champ) == TEXTES[cle]
            sans_faille(suivre(agent, reponse))
            continue
        refus_en_francais(reponse, avant)
        assert model_to_dict(Collectivite.objects.get(pk=ruitz.pk)) == initial


@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    champ=st.sampled_from([*CHAMPS_TEXTE, *CHAMPS_NOMBRE]),
    valeur=st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=300),
)
def test_random_text_in_any_collectivite_field_never_breaks_anything(
    agent, ruitz, champ, valeur
):
    donnees = {**COLLECTIVITE_VALIDE, champ: valeur}
    if champ == "nom":
        donnees["nom"] = "Hyp " + valeur
    essayer_collectivite(agent, donnees, champ, "hypothesis")


# --- Collectivité : forçage de la catégorie ---------------------------------------


@pytest.mark.parametrize(
    ("categorie", "motif"),
    [
        ("Z", "Motif"),
        (SCRIPT, "Motif"),
        ("A\x00", "Motif"),
        ("A", TEXTES["nul"]),
        ("A", TEXTES["long_10k"]),
        ("A", TEXTES["long_1M"]),
        ("A", TEXTES["echappement"]),
        ("A", TEXTES["bidi"]),
        ("A", ""),
        ("A", "   "),
        (["A", "Z"], "Motif"),
    ],
    ids=[
        "inconnue",
        "script",
        "nul",
        "motif_nul",
        "motif_10k",
        "motif_1M",
        "motif_echappement",
        "motif_bidi",
        "motif_vide",
        "motif_espaces",
        "cles_repetees",
    ],
)
def test_the_category_override_refuses_hostile_input(agent, ruitz, categorie, motif):
    avant = compter()
    reponse = agent.post(
        f"/gestion/collectivites/{ruitz.pk}/categorie/",
        {"categorie": categorie, "motif": motif},
    )
    refus_en_francais(reponse, avant)
    ruitz.refresh_from_db()
    assert ruitz.categorie_forcee == ""


def test_a_scripted_override_reason_is_shown_escaped(agent, ruitz):
    reponse = agent.post(
        f"/gestion/collectivites/{ruitz.pk}/categorie/",
        {"categorie": "B", "motif": f"{SCRIPT}{IMG}\r\nseconde ligne"},
    )
    contenu = sans_faille(suivre(agent, reponse))
    ruitz.refresh_from_db()
    assert ruitz.categorie_forcee == "B"
    assert SCRIPT_ECHAPPE in contenu


# --- Conventions : signature, résiliation, expiration -----------------------------

SIGNATURE_VALIDE = {
    "partie": "collectivite",
    "signataire_nom": "Dominique Durand",
    "signataire_qualite": "Maire",
    "date": "2024-05-02",
}


@pytest.mark.parametrize("champ", ["signataire_nom", "signataire_qualite", "partie"])
def test_the_signature_form_survives_hostile_text(agent, en_signature, champ):
    for cle, valeur in TEXTES.items():
        avant = compter()
        # Une signature enregistrée ne s'efface pas (la base le refuse) : chaque
        # essai se fait dans un point de sauvegarde annulé ensuite.
        essai = transaction.savepoint()
        reponse = agent.post(
            f"/gestion/conventions/{en_signature.pk}/signer/",
            {**SIGNATURE_VALIDE, champ: valeur},
        )
        if reponse.status_code == 302:
            assert cle in ("script", "img", "sql") and champ != "partie", cle
            signature = Signature.objects.get(convention=en_signature)
            assert getattr(signature, champ) == valeur
            contenu = sans_faille(suivre(agent, reponse))
            assert html.escape(valeur) in contenu
            transaction.savepoint_rollback(essai)
            continue
        transaction.savepoint_rollback(essai)
        refus_en_francais(reponse, avant)


def test_the_signature_form_survives_hostile_dates(agent, en_signature):
    for valeur in DATES.values():
        avant = compter()
        reponse = agent.post(
            f"/gestion/conventions/{en_signature.pk}/signer/",
            {**SIGNATURE_VALIDE, "date": valeur},
        )
        refus_en_francais(reponse, avant)


@pytest.mark.parametrize(
    "donnees",
    [
        {"motif": TEXTES[cle]}
        for cle in [
            "nul",
            "long_10k",
            "long_1M",
            "echappement",
            "bidi",
            "vide",
            "espaces",
        ]
    ]
    + [{"date": DATES[cle]} for cle in DATES],
    ids=[
        f"motif_{cle}"
        for cle in [
            "nul",
            "long_10k",
            "long_1M",
            "echappement",
            "bidi",
            "vide",
            "espaces",
        ]
    ]
    + [f"date_{cle}" for cle in DATES],
)
def test_the_termination_form_refuses_hostile_input(agent, signee, donnees):
    avant = compter()
    reponse = agent.post(
        f"/gestion/conventions/{signee.pk}/resilier/",
        {"date": "2024-06-01", "motif": "Fusion de communes", **donnees},
    )
    if reponse.status_code == 302:
        # Une résiliation à une date lointaine reste une date valide.
        assert donnees == {"date": "9999-12-31"}
        return
    refus_en_francais(reponse, avant)
    signee.refresh_from_db()
    assert signee.statut == Statut.SIGNEE


def test_a_scripted_termination_reason_is_shown_escaped(agent, signee):
    reponse = agent.post(
        f"/gestion/conventions/{signee.pk}/resilier/",
        {"date": "2024-06-01", "motif": f"{SCRIPT}\r\n{IMG}"},
    )
    contenu = sans_faille(suivre(agent, reponse))
    assert SCRIPT_ECHAPPE in contenu
    signee.refresh_from_db()
    assert signee.statut == Statut.RESILIEE


def test_the_expiry_form_refuses_impossible_dates(agent, signee):
    for valeur in DATES.values():
        avant = compter()
        reponse = agent.post(
            f"/gestion/conventions/{signee.pk}/expirer/", {"date": valeur}
        )
        refus_en_francais(reponse, avant)
        signee.refresh_from_db()
        assert signee.statut == Statut.SIGNEE


# --- Dépôt du scan : seul un PDF passe --------------------------------------------


def _pdf_actif(action: dict) -> bytes:
    """Un PDF valide qui exécute ``action`` à l'ouverture."""
    from pypdf import PdfWriter
    from pypdf.generic import DictionaryObject, NameObject, TextStringObject

    ecrivain = PdfWriter()
    ecrivain.add_blank_page(width=595, height=842)
    ecrivain._root_object[NameObject("/OpenAction")] = DictionaryObject(
        {
            NameObject(cle): NameObject(valeur)
            if valeur.startswith("/")
            else TextStringObject(valeur)
            for cle, valeur in action.items()
        }
    )
    tampon = io.BytesIO()
    ecrivain.write(tampon)
    return tampon.getvalue()


def _zip() -> bytes:
    tampon = io.BytesIO()
    with zipfile.ZipFile(tampon, "w") as archive:
        archive.writestr("scan.pdf", pdf_octets())
    return tampon.getvalue()


FICHIERS = {
    "texte": ("scan.pdf", b"Ceci n'est pas un PDF.\n"),
    "html": ("scan.pdf", f"<html><body>{SCRIPT}</body></html>".encode()),
    "exe": ("scan.pdf", b"MZ\x90\x00\x03" + b"\x00" * 200),
    "zip": ("scan.pdf", _zip()),
    "vide": ("scan.pdf", b""),
    "entete_seul": ("scan.pdf", b"%PDF-1.7\n%%EOF"),
    "pdf_tronque": ("scan.pdf", pdf_octets()[:200]),
    "pdf_chiffre": ("scan.pdf", pdf_octets(mot_de_passe="secret")),
    "mauvaise_extension": ("scan.exe", pdf_octets()),
    "sans_extension": ("scan", pdf_octets()),
    "nom_script": (f"{SCRIPT}.html", pdf_octets()),
    "pdf_javascript": (
        "scan.pdf",
        _pdf_actif({"/S": "/JavaScript", "/JS": "app.alert(1)"}),
    ),
    "pdf_lancement": ("scan.pdf", _pdf_actif({"/S": "/Launch", "/F": "calc.exe"})),
    "trop_gros": ("scan.pdf", b"%PDF-1.4\n" + b"0" * (TAILLE_MAX_SCAN + 1)),
}


@pytest.mark.parametrize("cle", list(FICHIERS))
def test_a_file_that_is_not_an_acceptable_pdf_is_refused(agent, signee, cle):
    nom, contenu = FICHIERS[cle]
    avant = compter()
    reponse = agent.post(
        f"/gestion/conventions/{signee.pk}/scan/deposer/",
        {"fichier": SimpleUploadedFile(nom, contenu, content_type="application/pdf")},
    )
    refus_en_francais(reponse, avant)
    signee.refresh_from_db()
    assert not signee.scan


def test_a_scan_post_without_file_or_with_a_text_field_is_refused(agent, signee):
    avant = compter()
    for donnees in ({}, {"fichier": "scan.pdf"}, {"fichier": SCRIPT}):
        reponse = agent.post(f"/gestion/conventions/{signee.pk}/scan/deposer/", donnees)
        refus_en_francais(reponse, avant)


def test_a_hostile_file_name_never_reaches_the_storage(agent, signee):
    reponse = agent.post(
        f"/gestion/conventions/{signee.pk}/scan/deposer/",
        {"fichier": SimpleUploadedFile(f"../../{SCRIPT}\x1b.pdf", pdf_octets())},
    )
    sans_faille(suivre(agent, reponse))
    signee.refresh_from_db()
    assert signee.scan.name.endswith(".pdf")
    assert ".." not in signee.scan.name and "<" not in signee.scan.name


@pytest.mark.parametrize("url", ["/gestion/collectivites/", "/gestion/conventions/"])
def test_the_filtered_lists_survive_hostile_query_strings(agent, devis_emis, url):
    for parametres in PARAMETRES:
        reponse = agent.get(url, parametres)
        assert reponse.status_code == 200, parametres
        contenu = sans_faille(reponse)
        if parametres.get("q") == SCRIPT:
            assert SCRIPT_ECHAPPE in contenu
