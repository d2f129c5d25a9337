"""Entrées hostiles des devis : nouvelle demande, aperçu en direct,
modification, actions, portail (bon pour accord, refus, demande), liste
filtrée (charges : ``tests.hostiles``)."""

from __future__ import annotations

import html

import pytest

from conventions.models import Convention
from devis.models import DemandeDevis, Devis, LigneDevis
from tarifs.calcul import LigneDemandee
from tests.factories import (
    devis_emis_pour,
)
from tests.hostiles import (
    IMG,
    NOMBRES,
    PARAMETRES,
    REFUS_LIGNE,
    REFUS_TEXTE_LIBRE,
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


# --- Liste filtrée des devis ------------------------------------------------------


def test_the_devis_list_survives_hostile_query_strings(agent, devis_emis):
    url = "/gestion/devis/"
    for parametres in PARAMETRES:
        reponse = agent.get(url, parametres)
        assert reponse.status_code == 200, parametres
        contenu = sans_faille(reponse)
        if parametres.get("q") == SCRIPT:
            assert SCRIPT_ECHAPPE in contenu
