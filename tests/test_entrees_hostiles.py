"""Entrées hostiles : chaque formulaire du projet reçoit des chaînes immenses,
des caractères de contrôle, du HTML, des nombres absurdes, des dates
impossibles, des clés répétées et des fichiers qui ne sont pas des PDF.

Pour chaque saisie, on vérifie : jamais d'erreur 500 ; un refus se fait par
un nouvel affichage (200/400) ou une redirection, avec une erreur en français ;
rien n'est écrit quand la saisie est refusée ; la saisie ne reparaît
qu'échappée dans le HTML ; un octet NUL n'atteint jamais la base (PostgreSQL
le refuse : ce serait une erreur 500).

L'API publique ``/api/chiffrage`` reçoit en plus des octets quelconques, des
JSON très imbriqués ou très gros et des types de contenu inattendus.
"""

from __future__ import annotations

import html
import io
import json
import re
import zipfile

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.tokens import default_token_generator
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.forms import BaseForm
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from comptes.models import Utilisateur
from conventions.fichiers import TAILLE_MAX_SCAN
from conventions.models import Adhesion, Collectivite, Convention, Signature
from devis.models import DemandeDevis, Devis, EnvoiDevis, EvenementDevis, LigneDevis
from tarifs.calcul import LigneDemandee
from tests.factories import (
    AdhesionFactory,
    CollectiviteFactory,
    ConventionFactory,
    SignatureFactory,
    devis_emis_pour,
    pdf_octets,
    siren_valide,
    siret_valide,
)

Statut = Convention.Statut

# --- Les charges ---------------------------------------------------------------

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
SCRIPT_ECHAPPE = "&lt;script&gt;alert(1)&lt;/script&gt;"

TEXTES = {
    "long_10k": "a" * 10_000,
    "long_1M": "x" * 1_000_000,
    "nul": "Ruitz\x00",
    "nul_seul": "\x00",
    "echappement": "Ruitz\x1b[31m",
    "bidi": "Ruitz\u202efdp.exe",
    "crlf": "Ruitz\r\nBcc: pirate@exemple.fr",
    "script": SCRIPT,
    "img": IMG,
    "sql": "'; DROP TABLE conventions_collectivite; --",
    "vide": "",
    "espaces": "  \t  ",
}
# Saisies qu'aucun champ d'une ligne ne doit accepter.
REFUS_LIGNE = {"long_10k", "long_1M", "nul", "nul_seul", "echappement", "bidi", "crlf"}
# Saisies qu'aucun champ de texte libre (motif, commentaire…) ne doit accepter.
REFUS_TEXTE_LIBRE = {"long_10k", "long_1M", "nul", "nul_seul", "echappement", "bidi"}

NOMBRES = {
    "negatif": "-1",
    "immense": str(10**30),
    "exposant": "1e309",
    "nan": "NaN",
    "infini": "Infinity",
    "moins_zero": "-0",
    "arabe": "٣",
    "pleine_chasse": "３",
    "decimal": "2,5",
    "hexa": "0x10",
    "nul": "3\x00",
    "long": "9" * 10_000,
    "vide": "",
    "espaces": "   ",
    "script": SCRIPT,
}

DATES = {
    "30_fevrier": "2024-02-30",
    "an_9999": "9999-12-31",
    "an_0": "0000-01-01",
    "mois_13": "2024-13-01",
    "francaise_impossible": "31/02/2024",
    "nul": "2024-01-01\x00",
    "script": SCRIPT,
    "long": "2024-01-01" * 1000,
    "vide": "",
}

ANGLAIS = re.compile(
    r"\b(This field|Ensure this|Enter a|Select a|Null characters|is required|"
    r"not allowed|Invalid|characters|valid)\b"
)


# --- Outils ---------------------------------------------------------------------


def compter() -> dict[str, int]:
    """Tout ce qu'une saisie refusée ne doit pas créer."""
    return {
        "collectivites": Collectivite.objects.count(),
        "collectivites_historique": Collectivite.history.count(),
        "conventions": Convention.objects.count(),
        "conventions_historique": Convention.history.count(),
        "signatures": Signature.objects.count(),
        "demandes": DemandeDevis.objects.count(),
        "devis": Devis.objects.count(),
        "lignes": LigneDevis.objects.count(),
        "envois": EnvoiDevis.objects.count(),
        "evenements": EvenementDevis.objects.count(),
        "utilisateurs": Utilisateur.objects.count(),
    }


def erreurs_affichees(reponse) -> list[str]:
    """Les erreurs des formulaires du contexte et les messages d'erreur."""
    erreurs: list[str] = []
    vus: set[int] = set()
    for contexte in reponse.context or []:
        for valeur in contexte.dicts if hasattr(contexte, "dicts") else [contexte]:
            if not isinstance(valeur, dict):
                continue
            for objet in valeur.values():
                if isinstance(objet, BaseForm) and id(objet) not in vus:
                    vus.add(id(objet))
                    if objet.is_bound:
                        for liste in objet.errors.values():
                            erreurs.extend(liste)
    if reponse.context and "messages" in reponse.context:
        erreurs.extend(
            str(m) for m in reponse.context["messages"] if m.level_tag == "error"
        )
    return erreurs


def sans_faille(reponse) -> str:
    """Le HTML ne contient la charge qu'échappée ; renvoie le HTML."""
    assert reponse.status_code < 500
    contenu = reponse.content.decode()
    assert SCRIPT not in contenu
    assert "<img src=x" not in contenu
    assert "onerror=alert(1)>" not in contenu.replace('"', "")
    return contenu


def refus_en_francais(reponse, avant: dict[str, int]) -> list[str]:
    """Un refus : nouvel affichage avec des erreurs françaises, visibles dans la
    page, et rien d'écrit."""
    contenu = sans_faille(reponse)
    assert reponse.status_code in (200, 400), reponse.status_code
    erreurs = erreurs_affichees(reponse)
    assert erreurs, "aucune erreur affichée"
    for erreur in erreurs:
        assert not ANGLAIS.search(erreur), erreur
        assert html.escape(erreur) in contenu or erreur in html.unescape(contenu), (
            erreur
        )
    assert compter() == avant
    return erreurs


def suivre(client, reponse):
    """La page où mène une redirection (messages compris)."""
    assert reponse.status_code == 302, reponse.status_code
    return client.get(reponse["Location"])


def sans_controle(texte: str) -> bool:
    """Aucun caractère de contrôle (sauf tabulation et fin de ligne) ni NUL."""
    return not re.search(
        r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e\u2066-\u2069]", texte
    )


# --- Le décor -----------------------------------------------------------------


@pytest.fixture(autouse=True)
def pdf_rapide(monkeypatch):
    """Le rendu WeasyPrint est éprouvé ailleurs : ici, un petit PDF suffit."""
    monkeypatch.setattr(
        "devis.pdf.devis_rendre_pdf", lambda devis, projet=False: pdf_octets()
    )


@pytest.fixture
def agent(client, alice_agent):
    client.force_login(alice_agent)
    return client


@pytest.fixture
def ruitz(grille_2024_14):
    """Une commune avec une convention en vigueur (elle peut recevoir des devis)."""
    ruitz = CollectiviteFactory(
        nom="Ruitz",
        code_insee="62728",
        population=1500,
        emails_contact="mairie@ruitz.example",
    )
    ConventionFactory(collectivite=ruitz, signee=True)
    return ruitz


@pytest.fixture
def en_signature(ruitz):
    return ConventionFactory(collectivite=ruitz, statut=Statut.EN_SIGNATURE)


@pytest.fixture
def signee(grille_2024_14):
    collectivite = CollectiviteFactory(nom="Quercamps", population=400)
    convention = ConventionFactory(collectivite=collectivite, signee=True)
    for partie in Signature.Partie.values:
        SignatureFactory(convention=convention, partie=partie)
    return convention


@pytest.fixture
def devis_emis(ruitz, alice_agent):
    fibre, _cdg = devis_emis_pour(ruitz, par=alice_agent)
    return fibre


@pytest.fixture
def sophie(ruitz, devis_emis):
    """Signataire de Ruitz sur le portail (avec des devis émis à traiter)."""
    sophie = Utilisateur.objects.create_user(
        "sophie@mairie-ruitz.fr", "mot-de-passe-sophie", role=Utilisateur.Role.PORTAIL
    )
    AdhesionFactory(
        utilisateur=sophie, collectivite=ruitz, role=Adhesion.Role.SIGNATAIRE
    )
    return sophie


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


# --- Devis : nouvelle demande, aperçu en direct, modification ----------------------

QUANTITE = "quantite_messagerie-5go"
SUR_DEVIS = {
    "quantite_antivirus-mise-en-service": "25",
    "intervention_antivirus-mise-en-service": "on",
}
PRIX = "prix_cdg_antivirus-mise-en-service"
JUSTIFICATION = "justification_cdg_antivirus-mise-en-service"


def demande(ruitz, **champs) -> dict:
    return {
        "collectivite": str(ruitz.pk),
        "commentaire": "",
        QUANTITE: "3",
        "action": "enregistrer",
        **champs,
    }


def verifier_demande(client, reponse, avant):
    if reponse.status_code == 302:
        assert compter() != avant
        for ligne in LigneDevis.objects.all():
            assert sans_controle(ligne.justification)
            assert ligne.montant is None or not ligne.montant.is_signed()
        for d in DemandeDevis.objects.all():
            assert sans_controle(d.commentaire)
        return sans_faille(suivre(client, reponse))
    refus_en_francais(reponse, avant)
    return reponse.content.decode()


@pytest.mark.parametrize("cle", list(NOMBRES))
def test_the_devis_form_survives_hostile_quantities(agent, ruitz, cle):
    avant = compter()
    reponse = agent.post(
        "/gestion/devis/nouveau", demande(ruitz, **{QUANTITE: NOMBRES[cle]})
    )
    verifier_demande(agent, reponse, avant)
    if cle not in ("arabe", "pleine_chasse"):
        assert reponse.status_code == 200


@pytest.mark.parametrize("cle", list(NOMBRES))
def test_the_devis_form_survives_hostile_manual_prices(agent, ruitz, cle):
    avant = compter()
    donnees = demande(
        ruitz, **SUR_DEVIS, **{PRIX: NOMBRES[cle], JUSTIFICATION: "Deux jours."}
    )
    reponse = agent.post("/gestion/devis/nouveau", donnees)
    verifier_demande(agent, reponse, avant)
    if cle in ("negatif", "immense", "exposant", "nan", "infini", "nul", "long"):
        assert reponse.status_code == 200


@pytest.mark.parametrize("champ", ["commentaire", JUSTIFICATION, "collectivite"])
def test_the_devis_form_survives_hostile_text(agent, ruitz, champ):
    for cle, valeur in TEXTES.items():
        avant = compter()
        donnees = demande(ruitz, **SUR_DEVIS, **{PRIX: "150"})
        donnees[JUSTIFICATION] = "Deux jours."
        donnees[champ] = valeur
        reponse = agent.post("/gestion/devis/nouveau", donnees)
        contenu = verifier_demande(agent, reponse, avant)
        if cle in REFUS_TEXTE_LIBRE or champ == "collectivite":
            assert reponse.status_code == 200, cle
        if cle == "script" and champ == "commentaire":
            assert SCRIPT_ECHAPPE in contenu


@pytest.mark.parametrize(
    "extra",
    [
        {"collectivite": "²"},
        {"collectivite": "9" * 30},
        {"collectivite": "-1"},
        {"collectivite": ["1", "2"]},
        {"intervention_antivirus-mise-en-service": SCRIPT},
        {"intervention_messagerie-5go": "on"},
        {"quantite_inconnue": "3", "prix_cdg_inconnue": "12"},
        {"prix_pirate_messagerie-5go": "12", "justification_pirate_x": "y"},
        {"prix_cdg_forfait-categorie": "-5", "justification_cdg_forfait-categorie": ""},
        {QUANTITE: ["3", "-4"]},
        {"action": ["enregistrer", "autre"]},
    ],
    ids=[
        "collectivite_exposant",
        "collectivite_immense",
        "collectivite_negative",
        "collectivite_repetee",
        "intervention_script",
        "intervention_sans_option",
        "prestation_inconnue",
        "emetteur_inconnu",
        "prix_orphelin_negatif",
        "quantite_repetee",
        "action_repetee",
    ],
)
@pytest.mark.parametrize("url", ["/gestion/devis/nouveau", "/gestion/devis/chiffrage"])
def test_the_devis_form_and_live_preview_survive_odd_keys(agent, ruitz, extra, url):
    avant = compter()
    reponse = agent.post(url, demande(ruitz, **extra))
    if url.endswith("chiffrage") or extra == {"action": ["enregistrer", "autre"]}:
        # Aperçu (ou action inconnue, la dernière valeur compte) : rien n'est
        # enregistré, la page est de nouveau affichée.
        sans_faille(reponse)
        assert reponse.status_code == 200
        assert compter() == avant
        return
    verifier_demande(agent, reponse, avant)


@pytest.mark.parametrize(
    "champ", [QUANTITE, PRIX, JUSTIFICATION, "commentaire", "collectivite", "demande"]
)
def test_the_live_preview_never_writes_nor_breaks(agent, ruitz, champ):
    avant = compter()
    for cle in ("nul", "long_1M", "script", "bidi"):
        donnees = demande(ruitz, **SUR_DEVIS, **{PRIX: "150", JUSTIFICATION: "Ok"})
        donnees[champ] = TEXTES[cle]
        reponse = agent.post("/gestion/devis/chiffrage", donnees)
        assert reponse.status_code == 200
        sans_faille(reponse)
    assert compter() == avant


@pytest.mark.parametrize("valeur", ["²", "9" * 30, "-1", SCRIPT, "1\x00"])
def test_the_devis_form_ignores_a_hostile_collectivite_in_the_query_string(
    agent, ruitz, valeur
):
    reponse = agent.get("/gestion/devis/nouveau", {"collectivite": valeur})
    assert reponse.status_code == 200
    sans_faille(reponse)


@pytest.fixture
def demande_brouillon(ruitz, alice_agent):
    (brouillon,) = devis_emis_pour(
        ruitz,
        par=alice_agent,
        lignes=[LigneDemandee("nom-de-domaine", 1)],
        emettre=False,
    )
    return brouillon.demande


@pytest.mark.parametrize(
    "champs",
    [
        {QUANTITE: NOMBRES["immense"]},
        {QUANTITE: NOMBRES["nul"]},
        {"quantite_nom-de-domaine": "-1"},
        {**SUR_DEVIS, PRIX: "NaN", JUSTIFICATION: "x"},
        {**SUR_DEVIS, PRIX: "12", JUSTIFICATION: TEXTES["nul"]},
        {**SUR_DEVIS, PRIX: "12", JUSTIFICATION: TEXTES["long_1M"]},
        {"collectivite": "9" * 30},
    ],
    ids=[
        "immense",
        "nul",
        "negative",
        "nan",
        "justification_nul",
        "justif_1M",
        "autre",
    ],
)
def test_the_devis_edit_form_refuses_hostile_input(agent, demande_brouillon, champs):
    avant = compter()
    lignes_avant = list(LigneDevis.objects.values_list("code", "quantite", "montant"))
    donnees = {"action": "enregistrer", "quantite_nom-de-domaine": "1", **champs}
    reponse = agent.post(
        f"/gestion/devis/demandes/{demande_brouillon.pk}/modifier", donnees
    )
    if reponse.status_code == 302:
        # La collectivité d'une demande est figée : la saisie est ignorée.
        assert champs == {"collectivite": "9" * 30}
        return
    refus_en_francais(reponse, avant)
    assert (
        list(LigneDevis.objects.values_list("code", "quantite", "montant"))
        == lignes_avant
    )


# --- Devis : actions (annuler, accepter sur papier, refuser, envoyer) --------------

ACTIONS_TEXTE = [
    ("annuler", "annulation-motif", {}),
    ("refuser", "refus-motif", {}),
    (
        "accepter",
        "acceptation-signataire_nom",
        {"acceptation-signataire_qualite": "Maire"},
    ),
    (
        "accepter",
        "acceptation-signataire_qualite",
        {"acceptation-signataire_nom": "Jeanne Dupont"},
    ),
]


@pytest.mark.parametrize(("action", "champ", "autres"), ACTIONS_TEXTE)
def test_the_devis_actions_refuse_hostile_text(
    agent, devis_emis, action, champ, autres
):
    refuse = REFUS_TEXTE_LIBRE | {"vide", "espaces"}
    if champ.startswith("acceptation"):
        refuse |= {"crlf"}
    for cle in refuse:
        avant = compter()
        reponse = agent.post(
            f"/gestion/devis/{devis_emis.pk}/{action}", {champ: TEXTES[cle], **autres}
        )
        refus_en_francais(reponse, avant)
        assert Devis.objects.get(pk=devis_emis.pk).statut == Devis.Statut.EMIS


@pytest.mark.parametrize("cle", ["script", "img", "sql"])
@pytest.mark.parametrize(("action", "champ", "autres"), ACTIONS_TEXTE)
def test_the_devis_actions_store_html_as_text_and_show_it_escaped(
    agent, devis_emis, action, champ, autres, cle
):
    reponse = agent.post(
        f"/gestion/devis/{devis_emis.pk}/{action}", {champ: TEXTES[cle], **autres}
    )
    contenu = sans_faille(suivre(agent, reponse))
    assert Devis.objects.get(pk=devis_emis.pk).statut != Devis.Statut.EMIS
    assert html.escape(TEXTES[cle]) in contenu


@pytest.mark.parametrize("action", ["envoyer", "emettre", "dupliquer", "supprimer"])
def test_the_devis_buttons_ignore_stray_fields(agent, devis_emis, action):
    reponse = agent.post(
        f"/gestion/devis/{devis_emis.pk}/{action}",
        {"motif": TEXTES["nul"], "pk": "9" * 30, "statut": ["brouillon", SCRIPT]},
    )
    sans_faille(suivre(agent, reponse))


# --- Portail : bon pour accord, refus, demande, aperçu -----------------------------


@pytest.fixture
def portail(client, sophie):
    client.force_login(sophie)
    return client


ACCORD = {
    "acceptation-signataire_nom": "Jeanne Dupont",
    "acceptation-signataire_qualite": "Maire",
    "acceptation-engagement": "on",
}


@pytest.mark.parametrize(
    "champ",
    [
        "acceptation-signataire_nom",
        "acceptation-signataire_qualite",
        "acceptation-engagement",
    ],
)
def test_the_portal_acceptance_refuses_hostile_text(portail, ruitz, devis_emis, champ):
    url = f"/portail/{ruitz.pk}/devis/{devis_emis.pk}/accepter"
    for cle in REFUS_LIGNE | {"vide", "espaces"}:
        if champ.endswith("engagement") and cle != "vide":
            continue  # une case à cocher : toute valeur non vide vaut « oui »
        avant = compter()
        reponse = portail.post(url, {**ACCORD, champ: TEXTES[cle]})
        refus_en_francais(reponse, avant)


@pytest.mark.parametrize("cle", ["script", "img", "sql"])
def test_the_portal_acceptance_shows_a_scripted_name_escaped(
    portail, ruitz, devis_emis, cle
):
    reponse = portail.post(
        f"/portail/{ruitz.pk}/devis/{devis_emis.pk}/accepter",
        {**ACCORD, "acceptation-signataire_nom": TEXTES[cle]},
    )
    contenu = sans_faille(suivre(portail, reponse))
    assert html.escape(TEXTES[cle]) in contenu
    assert Devis.objects.get(pk=devis_emis.pk).statut == Devis.Statut.ACCEPTE


def test_the_portal_refusal_survives_hostile_text(portail, ruitz, devis_emis):
    url = f"/portail/{ruitz.pk}/devis/{devis_emis.pk}/refuser"
    for cle in REFUS_TEXTE_LIBRE | {"vide", "espaces"}:
        avant = compter()
        refus_en_francais(portail.post(url, {"refus-motif": TEXTES[cle]}), avant)
    reponse = portail.post(url, {"refus-motif": f"{SCRIPT}\r\n{IMG}"})
    assert SCRIPT_ECHAPPE in sans_faille(suivre(portail, reponse))
    assert Devis.objects.get(pk=devis_emis.pk).statut == Devis.Statut.REFUSE


@pytest.mark.parametrize("cle", ["nul", "long_1M", "crlf", "script", "vide"])
def test_the_portal_common_acceptance_survives_hostile_text(
    portail, ruitz, devis_emis, cle
):
    demande_id = devis_emis.demande_id
    avant = compter()
    reponse = portail.post(
        f"/portail/{ruitz.pk}/demandes/{demande_id}/accepter",
        {
            f"demande-{demande_id}-signataire_nom": TEXTES[cle],
            f"demande-{demande_id}-signataire_qualite": "Maire",
            f"demande-{demande_id}-engagement": "on",
        },
    )
    if reponse.status_code == 302:
        assert cle == "script"
        sans_faille(suivre(portail, reponse))
        return
    refus_en_francais(reponse, avant)


@pytest.mark.parametrize(
    "champs",
    [
        {QUANTITE: NOMBRES[cle]}
        for cle in ["negatif", "immense", "nan", "nul", "long", "script"]
    ]
    + [
        {"commentaire": TEXTES[cle]}
        for cle in ["nul", "long_1M", "bidi", "echappement"]
    ]
    + [{QUANTITE: "0"}, {"collectivite": "9" * 30, QUANTITE: "x"}],
    ids=[
        *[
            f"quantite_{c}"
            for c in ["negatif", "immense", "nan", "nul", "long", "script"]
        ],
        *[f"commentaire_{c}" for c in ["nul", "long_1M", "bidi", "echappement"]],
        "aucune_ligne",
        "autre_collectivite",
    ],
)
def test_the_portal_request_form_refuses_hostile_input(portail, ruitz, champs):
    avant = compter()
    donnees = {QUANTITE: "3", "commentaire": "", "action": "envoyer", **champs}
    reponse = portail.post(f"/portail/{ruitz.pk}/demander", donnees)
    refus_en_francais(reponse, avant)
    apercu = portail.post(f"/portail/{ruitz.pk}/chiffrage", donnees)
    assert apercu.status_code == 200
    sans_faille(apercu)
    assert compter() == avant


def test_the_portal_request_form_stores_a_scripted_comment_escaped(portail, ruitz):
    reponse = portail.post(
        f"/portail/{ruitz.pk}/demander",
        {QUANTITE: "3", "commentaire": f"{SCRIPT}\r\n{IMG}", "action": "envoyer"},
    )
    sans_faille(suivre(portail, reponse))
    assert DemandeDevis.objects.get(commentaire__startswith="<script>")


# --- Connexion et mots de passe --------------------------------------------------


@pytest.mark.parametrize("champ", ["username", "password"])
def test_the_login_form_survives_hostile_text(client, alice_agent, champ):
    for valeur in TEXTES.values():
        donnees = {"username": "alice@cdg62.fr", "password": "faux", champ: valeur}
        avant = compter()
        refus_en_francais(client.post("/connexion/", donnees), avant)
        assert "_auth_user_id" not in client.session


@pytest.mark.axes
@pytest.mark.parametrize("cle", ["nul", "long_10k", "long_1M", "crlf", "script"])
def test_the_login_form_survives_hostile_text_with_brute_force_protection(
    client, alice_agent, cle
):
    for champ in ("username", "password"):
        donnees = {"username": "alice@cdg62.fr", "password": "faux", champ: TEXTES[cle]}
        reponse = client.post("/connexion/", donnees)
        sans_faille(reponse)
        assert reponse.status_code in (200, 403, 429)
    # Le journal des échecs (varchar 255) ne reçoit rien de trop long.
    assert all(len(a.username or "") <= 255 for a in AccessAttempt.objects.all())


@pytest.mark.parametrize("champ", ["old_password", "new_password1"])
def test_the_password_change_form_survives_hostile_text(agent, alice_agent, champ):
    for cle, valeur in TEXTES.items():
        donnees = {
            "old_password": "mot-de-passe-alice",
            "new_password1": "Un nouveau mot de passe solide 62",
            "new_password2": "Un nouveau mot de passe solide 62",
            champ: valeur,
        }
        if champ == "new_password1":
            donnees["new_password2"] = valeur
        avant = compter()
        mot_de_passe = Utilisateur.objects.get(pk=alice_agent.pk).password
        reponse = agent.post("/mot-de-passe/changer/", donnees)
        if reponse.status_code == 302:
            # Une phrase de passe longue ou faite de signes reste valable.
            assert champ == "new_password1" and cle not in ("nul", "nul_seul"), cle
            alice_agent.set_password("mot-de-passe-alice")
            alice_agent.save()
            agent.force_login(alice_agent)
            continue
        refus_en_francais(reponse, avant)
        assert Utilisateur.objects.get(pk=alice_agent.pk).password == mot_de_passe


def test_the_password_reset_form_survives_hostile_text(client, alice_agent, mailoutbox):
    for valeur in TEXTES.values():
        avant = compter()
        reponse = client.post("/mot-de-passe/reinitialisation/", {"email": valeur})
        if reponse.status_code != 302:  # 302 : adresse inconnue, réponse neutre
            refus_en_francais(reponse, avant)
    assert not mailoutbox


@pytest.mark.parametrize("cle", ["nul", "long_1M", "script", "vide", "espaces"])
def test_the_password_reset_confirmation_survives_hostile_text(
    client, alice_agent, cle
):
    uid = urlsafe_base64_encode(force_bytes(alice_agent.pk))
    jeton = default_token_generator.make_token(alice_agent)
    page = client.get(f"/mot-de-passe/reinitialisation/{uid}/{jeton}/")
    assert page.status_code == 302
    mot_de_passe = alice_agent.password
    reponse = client.post(
        page["Location"],
        {"new_password1": TEXTES[cle], "new_password2": TEXTES[cle]},
    )
    if reponse.status_code == 302:
        # Une phrase de passe longue, ou faite de signes, reste un mot de passe.
        assert cle in ("long_1M", "script")
        return
    refus_en_francais(reponse, compter())
    assert Utilisateur.objects.get(pk=alice_agent.pk).password == mot_de_passe


@pytest.mark.parametrize(
    "url",
    [
        "/mot-de-passe/reinitialisation/x\x00/y/",
        f"/mot-de-passe/reinitialisation/{'A' * 5000}/b/",
    ],
)
def test_a_hostile_reset_link_is_refused_without_error(client, db, url):
    reponse = client.get(url)
    sans_faille(reponse)


# --- Listes filtrées : paramètres d'adresse hostiles --------------------------------

PARAMETRES = [
    {"q": TEXTES["nul"]},
    {"q": TEXTES["long_10k"]},
    {"q": SCRIPT},
    {"q": "%' OR 1=1 --"},
    {"page": "9" * 30},
    {"page": "-1"},
    {"page": SCRIPT},
    {"type": "mairie", "statut": "x\x00", "categorie": SCRIPT, "convention": "?"},
    {"annee": "1e309", "emetteur": "pirate", "collectivite": "9" * 30},
    {"annee": "NaN", "collectivite": "²"},
    {"q": ["a", "b", "c"], "statut": ["emis", "brouillon"]},
]


@pytest.mark.parametrize(
    "url", ["/gestion/collectivites/", "/gestion/conventions/", "/gestion/devis/"]
)
def test_the_filtered_lists_survive_hostile_query_strings(agent, devis_emis, url):
    for parametres in PARAMETRES:
        reponse = agent.get(url, parametres)
        assert reponse.status_code == 200, parametres
        contenu = sans_faille(reponse)
        if parametres.get("q") == SCRIPT:
            assert SCRIPT_ECHAPPE in contenu


# --- API publique /api/chiffrage ----------------------------------------------------

API = "/api/chiffrage"
LIGNE = {"code": "messagerie-5go", "quantite": 1}
FORFAIT = '"lignes": [{"code": "forfait-categorie", "quantite": 1}]'


def api_erreur_francaise(reponse) -> list[str]:
    assert reponse.status_code == 400, reponse.content[:300]
    assert reponse["Content-Type"].startswith("application/json")
    erreurs = reponse.json()["erreurs"]
    assert erreurs and all(isinstance(e, str) for e in erreurs)
    for erreur in erreurs:
        assert not ANGLAIS.search(erreur), erreur
    return erreurs


@pytest.fixture
def api(client, grille_2024_14):
    return client


@pytest.mark.parametrize(
    "corps",
    [
        b"",
        b"\x00",
        b"\xff\xfe\x00{",
        b"\xef\xbb\xbf{}",
        "[" * 100_000,
        '{"a":' * 50_000 + "1" + "}" * 50_000,
        "1" * 5000,
        '{"lignes": [{"code": "messagerie-5go", "quantite": 1e400}]}',
        '{"lignes": [{"code": "messagerie-5go", "quantite": NaN}]}',
        '{"lignes": [{"code": "messagerie-5go", "quantite": Infinity}]}',
        '{"lignes": [{"code": "messagerie-5go", "quantite": -0}]}',
        '{"lignes": [{"code": "messagerie-5go", "quantite": ' + "9" * 5000 + "}]}",
        '{"lignes": [{"code": "messagerie-5go\\u0000", "quantite": 1}]}',
        '{"lignes": [{"code": "\\ud800", "quantite": 1}]}',
        '{"lignes": [{"code": "' + SCRIPT + '", "quantite": 1}]}',
        '{"lignes": [{"code": "messagerie-5go", "quantite": "٣"}]}',
        '{"date": "2024-02-30", "lignes": []}',
        '{"date": "0000-01-01", "lignes": [{"code": "messagerie-5go", "quantite": 1}]}',
        '{"date": "2024-06-01\\u0000", "lignes": []}',
        '{"collectivite": {"id": '
        + str(10**30)
        + '}, "lignes": [{"code": "forfait-categorie", "quantite": 1}]}',
        '{"collectivite": {"id": 1e300}, ' + FORFAIT + "}",
        '{"collectivite": {"categorie": "A\\u0000"}, ' + FORFAIT + "}",
        '{"collectivite": {"\\u0000": 1}, ' + FORFAIT + "}",
        '{"lignes": [{"code": "messagerie-5go", "quantite": 1}], "lignes": "doublon"}',
    ],
    ids=lambda corps: repr(corps)[:40],
)
def test_the_api_answers_hostile_bodies_with_french_json_errors(api, corps):
    reponse = api.post(API, corps, content_type="application/json")
    api_erreur_francaise(reponse)
    # La saisie peut être citée dans un message : jamais interprétée comme HTML.
    assert reponse["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    "type_de_contenu",
    [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=xyz",
        "application/json; charset=latin-1",
        "application/xml",
        "",
    ],
)
def test_the_api_reads_the_body_whatever_the_content_type(api, type_de_contenu):
    corps = json.dumps({"lignes": [LIGNE]})
    reponse = api.post(API, corps, content_type=type_de_contenu)
    assert reponse.status_code in (200, 400)
    if reponse.status_code == 400:
        api_erreur_francaise(reponse)


@pytest.mark.parametrize(
    "corps",
    [
        {"date": "9999-12-31", "lignes": [LIGNE]},
        {"collectivite": {"population": 10**30}, "lignes": [LIGNE]},
        {"collectivite": {"agents": 10**30}, "lignes": [LIGNE]},
        {"lignes": [{"code": "messagerie-5go", "quantite": 1.0}]},
    ],
    ids=["an_9999", "population_immense", "agents_immense", "quantite_flottante"],
)
def test_the_api_prices_extreme_but_meaningful_values(api, corps):
    reponse = api.post(API, json.dumps(corps), content_type="application/json")
    assert reponse.status_code == 200


def test_the_api_refuses_a_huge_body_in_french(api, settings):
    corps = json.dumps({"lignes": [LIGNE] * 200_000})
    assert len(corps) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    erreurs = api_erreur_francaise(
        api.post(API, corps, content_type="application/json")
    )
    assert "volumineux" in erreurs[0]


def test_the_api_answers_many_lines_quickly_and_in_french(api):
    corps = json.dumps({"lignes": [LIGNE] * 20_000 + [{"code": SCRIPT, "quantite": 0}]})
    api_erreur_francaise(api.post(API, corps, content_type="application/json"))


def test_the_api_writes_nothing_even_for_hostile_bodies(api):
    avant = compter()
    for corps in (b"\x00" * 100, '{"lignes": [{"code": "\\u0000", "quantite": 1}]}'):
        api.post(API, corps, content_type="application/json")
    assert compter() == avant


json_valeurs = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(alphabet=st.characters(), max_size=30),
    lambda enfants: (
        st.lists(enfants, max_size=5)
        | st.dictionaries(st.text(max_size=12), enfants, max_size=5)
    ),
    max_leaves=25,
)


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    corps=st.binary(max_size=300)
    | json_valeurs.map(lambda v: json.dumps(v))
    | st.fixed_dictionaries(
        {
            "lignes": st.lists(
                st.fixed_dictionaries({"code": json_valeurs, "quantite": json_valeurs}),
                max_size=3,
            )
        },
        optional={
            "date": json_valeurs,
            "collectivite": st.dictionaries(
                st.sampled_from(["id", "population", "agents", "categorie"]),
                json_valeurs,
            ),
        },
    ).map(json.dumps)
)
def test_random_bytes_and_json_with_nan_never_get_a_500(api, corps):
    reponse = api.post(API, corps, content_type="application/json")
    assert reponse.status_code in (200, 400)
    if reponse.status_code == 400:
        api_erreur_francaise(reponse)
