"""La facture Factur-X d'un devis accepté (domaine §13) : XML CII valide contre
le XSD EN 16931 et embarqué dans un PDF/A-3, montants, lignes et SIRET du
devis, numérotation sans trou par émetteur et par année, une seule facture par
devis, jamais modifiée (modèle et base), accès du portail limité à sa
collectivité."""

from __future__ import annotations

import datetime
import hashlib
import io
from decimal import Decimal

import facturx as bibliotheque_facturx
import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.db import connection
from lxml import etree
from pypdf import PdfReader

from comptes.models import Utilisateur
from conventions.models import Adhesion, Organisme
from devis import services as devis_services
from devis.models import Devis
from facturation import facturx, services
from facturation.models import CompteurFacture, Facture, FactureVerrouillee
from facturation.pdf import facture_contexte
from tarifs.calcul import LigneDemandee
from tests.base_de_donnees import refus_de_la_base, remplacer, sql, vider
from tests.factories import CollectiviteFactory, devis_emis_pour, pdf_octets

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("pdf_rapide")]

NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",  # noqa: E501
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
}
VENDEUR = "//ram:ApplicableHeaderTradeAgreement/ram:SellerTradeParty"
ACHETEUR = "//ram:ApplicableHeaderTradeAgreement/ram:BuyerTradeParty"
TOTAUX = "//ram:SpecifiedTradeSettlementHeaderMonetarySummation"


# --- Aides ----------------------------------------------------------------------


def accepter(devis, par):
    return devis_services.devis_accepter(
        devis=devis,
        signataire_nom="Camille Exemple",
        signataire_qualite="Maire",
        par=par,
        canal="papier",
    )


@pytest.fixture
def devis_accepte(devis_emis, alice_agent):
    """Le devis de La Fibre pour Ruitz (messagerie 5 Go × 3, clé 1 an), accepté
    sur papier."""
    return accepter(devis_emis, alice_agent)


@pytest.fixture
def facture(devis_accepte, alice_agent):
    """Sa facture, PDF rendu pour de vrai (WeasyPrint puis factur-x)."""
    return services.facture_emettre(devis=devis_accepte, par=alice_agent)


@pytest.fixture
def rendu_rapide(monkeypatch):
    """Le rendu WeasyPrint de la facture remplacé par un petit PDF (la
    numérotation et les accès n'ont pas besoin de la mise en page)."""
    monkeypatch.setattr(
        "facturation.pdf.facture_rendre_pdf", lambda facture: pdf_octets()
    )


def stocke(facture) -> bytes:
    with facture.pdf.open("rb") as fichier:
        return fichier.read()


def arbre(facture):
    return etree.fromstring(facture.xml.encode("utf-8"))


def textes(noeud, chemin: str) -> list[str]:
    return [element.text for element in noeud.xpath(chemin, namespaces=NS)]


def texte(noeud, chemin: str) -> str:
    (valeur,) = textes(noeud, chemin)
    return valeur


def accepte_pour(collectivite, par, *, emetteur="fibre"):
    """Un devis de ``collectivite`` émis puis accepté, de l'émetteur voulu."""
    devis = next(
        d for d in devis_emis_pour(collectivite, par=par) if d.emetteur.code == emetteur
    )
    return accepter(devis, par)


def messages_de(reponse) -> list[str]:
    return [str(message) for message in get_messages(reponse.wsgi_request)]


# --- Le XML et le PDF ------------------------------------------------------------


def test_the_xml_is_valid_against_the_en16931_xsd(facture):
    """Validé à l'émission, et de nouveau ici par la bibliothèque elle-même."""
    assert bibliotheque_facturx.xml_check_xsd(
        facture.xml.encode("utf-8"), flavor="factur-x", level="en16931"
    )
    assert bibliotheque_facturx.get_level(arbre(facture)) == "en16931"
    facturx.verifier_xml(facture.xml.encode("utf-8"))


def test_the_xml_is_embedded_in_the_stored_pdf(facture):
    nom, xml = bibliotheque_facturx.get_xml_from_pdf(stocke(facture), check_xsd=True)

    assert nom == "factur-x.xml"
    assert xml.decode("utf-8") == facture.xml


def test_the_pdf_is_pdf_a_3_with_facturx_metadata(facture):
    lecteur = PdfReader(io.BytesIO(stocke(facture)))
    xmp = lecteur.xmp_metadata
    brut = lecteur.trailer["/Root"]["/Metadata"].get_object().get_data()

    assert (xmp.pdfaid_part, xmp.pdfaid_conformance) == ("3", "B")
    assert b"urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#" in brut
    assert b"EN 16931" in brut
    assert b"factur-x.xml" in brut
    assert "/OutputIntents" in lecteur.trailer["/Root"]  # profil sRGB de PDF/A
    (fichier,) = lecteur.trailer["/Root"]["/AF"]
    assert fichier.get_object()["/AFRelationship"] == "/Data"


def test_the_pdf_prints_the_number_identities_amounts_and_vat_mention(
    facture, devis_accepte
):
    lecteur = PdfReader(io.BytesIO(stocke(facture)))
    contenu = " ".join(" ".join(p.extract_text() for p in lecteur.pages).split())

    assert f"Facture {facture.numero}" in contenu
    assert f"Devis {devis_accepte.numero}" in contenu
    assert "SIRET : 20000001600010" in contenu  # La Fibre (émetteur)
    assert "SIREN : 216207274" in contenu  # Ruitz n'a que son SIREN
    for montant in ("60,00 €", "76,80 €", "136,80 €"):
        assert montant in contenu
    assert "TVA non applicable, art. 256 B du CGI (test)" in contenu


def test_the_pdf_is_stored_once_with_its_sha256(facture):
    contenu = stocke(facture)

    assert facture.pdf_sha256 == hashlib.sha256(contenu).hexdigest()
    assert facture.pdf.name.startswith(f"factures/{facture.annee}/")
    assert facture.numero not in facture.pdf.name  # nom aléatoire


# --- Ce que dit le XML : le devis, tel quel ------------------------------------


def test_amounts_lines_and_sirets_equal_the_devis(facture, devis_accepte):
    xml = arbre(facture)
    lignes = list(devis_accepte.lignes.all())

    assert texte(xml, "//rsm:ExchangedDocument/ram:ID") == facture.numero
    assert texte(xml, "//rsm:ExchangedDocument/ram:TypeCode") == "380"
    assert (
        texte(xml, "//ram:SellerOrderReferencedDocument/ram:IssuerAssignedID")
        == devis_accepte.numero
    )
    # Émetteur : SIRET (schéma 0009) ; Ruitz : SIREN (0002), faute de SIRET.
    vendeur = xml.xpath(VENDEUR, namespaces=NS)[0]
    assert texte(vendeur, "ram:Name") == devis_accepte.emetteur_fige["nom"]
    identifiant = vendeur.xpath("ram:SpecifiedLegalOrganization/ram:ID", namespaces=NS)
    assert (identifiant[0].text, identifiant[0].get("schemeID")) == (
        devis_accepte.emetteur_fige["siret"],
        "0009",
    )
    acheteur = xml.xpath(ACHETEUR, namespaces=NS)[0]
    identifiant = acheteur.xpath("ram:SpecifiedLegalOrganization/ram:ID", namespaces=NS)
    assert (identifiant[0].text, identifiant[0].get("schemeID")) == (
        devis_accepte.destinataire_fige["siren"],
        "0002",
    )
    # Les lignes du devis, dans l'ordre, avec leurs quantités et montants.
    postes = xml.xpath("//ram:IncludedSupplyChainTradeLineItem", namespaces=NS)
    assert [texte(p, ".//ram:SpecifiedTradeProduct/ram:Name") for p in postes] == [
        ligne.libelle for ligne in lignes
    ]
    assert [Decimal(texte(p, ".//ram:BilledQuantity")) for p in postes] == [
        ligne.quantite for ligne in lignes
    ]
    assert [
        Decimal(texte(p, ".//ram:SpecifiedTradeSettlementLineMonetarySummation/*"))
        for p in postes
    ] == [ligne.montant for ligne in lignes]
    # Les totaux : ceux du devis, TTC, sans TVA.
    total = devis_accepte.total_premiere_annee
    assert total == Decimal("136.80")
    for balise in ("LineTotalAmount", "TaxBasisTotalAmount", "GrandTotalAmount"):
        assert Decimal(texte(xml, f"{TOTAUX}/ram:{balise}")) == total
    assert Decimal(texte(xml, f"{TOTAUX}/ram:DuePayableAmount")) == total
    assert Decimal(texte(xml, f"{TOTAUX}/ram:TaxTotalAmount")) == Decimal("0.00")
    assert facture.total_ttc == total


def test_amounts_are_outside_the_scope_of_vat_with_the_issuers_mention(facture):
    """Catégorie « O » sur chaque ligne et dans l'unique ventilation, sans taux,
    avec la mention TVA de l'émetteur comme motif ; aucun numéro de TVA."""
    xml = arbre(facture)
    mention = Organisme.objects.get(code="fibre").mention_tva

    assert set(textes(xml, "//ram:ApplicableTradeTax/ram:CategoryCode")) == {"O"}
    (ventilation,) = xml.xpath(
        "//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax", namespaces=NS
    )
    assert texte(ventilation, "ram:ExemptionReason") == mention
    assert texte(ventilation, "ram:ExemptionReasonCode") == "VATEX-EU-O"
    assert Decimal(texte(ventilation, "ram:CalculatedAmount")) == Decimal("0")
    assert not xml.xpath("//ram:RateApplicablePercent", namespaces=NS)
    assert not xml.xpath("//ram:SpecifiedTaxRegistration", namespaces=NS)
    assert facture.mention_tva == mention


def test_a_collectivite_with_a_siret_is_identified_by_its_siret(
    ruitz, devis_emis, alice_agent, rendu_rapide
):
    ruitz.siret = "21620727400013"
    ruitz.save()
    facture = services.facture_emettre(
        devis=accepter(devis_emis, alice_agent), par=alice_agent
    )

    acheteur = arbre(facture).xpath(ACHETEUR, namespaces=NS)[0]
    (identifiant,) = acheteur.xpath(
        "ram:SpecifiedLegalOrganization/ram:ID", namespaces=NS
    )
    assert (identifiant.text, identifiant.get("schemeID")) == (
        "21620727400013",
        "0009",
    )


def test_an_annual_line_bills_its_first_year_of_service(facture, devis_accepte):
    ligne = next(ligne for ligne in facture.lignes if ligne["code"] == "messagerie-5go")
    debut = datetime.date.fromisoformat(ligne["debut"])

    assert (
        ligne["fin"]
        == (debut.replace(year=debut.year + 1) - datetime.timedelta(days=1)).isoformat()
    )
    cle = next(ligne for ligne in facture.lignes if ligne["code"] == "cle-1an-cdg")
    assert cle["debut"] is None  # une ligne unique n'a pas de période


def test_a_flat_rate_line_keeps_its_amount_in_the_xml(ruitz, alice_agent, rendu_rapide):
    """Barème au forfait (montant ≠ quantité × prix) : le montant est le prix
    d'une quantité de base égale à la quantité facturée."""
    devis = next(
        d
        for d in devis_emis_pour(
            ruitz,
            par=alice_agent,
            lignes=[LigneDemandee("antivirus-mise-en-service", 5, intervention=True)],
        )
        if d.emetteur.code == "cdg"
    )
    ligne = devis.lignes.get()
    assert ligne.prix_unitaire * ligne.quantite != ligne.montant  # un forfait

    facture = services.facture_emettre(
        devis=accepter(devis, alice_agent), par=alice_agent
    )

    (poste,) = arbre(facture).xpath(
        "//ram:IncludedSupplyChainTradeLineItem", namespaces=NS
    )
    assert Decimal(
        texte(poste, ".//ram:NetPriceProductTradePrice/ram:ChargeAmount")
    ) == (ligne.montant)
    assert Decimal(texte(poste, ".//ram:BasisQuantity")) == 5
    assert Decimal(texte(poste, ".//ram:BilledQuantity")) == 5
    assert Decimal(
        texte(poste, ".//ram:SpecifiedTradeSettlementLineMonetarySummation/*")
    ) == (ligne.montant)
    assert facture_contexte(facture)["lignes"][0]["prix"] == "Forfait"
    facturx.verifier_xml(facture.xml.encode("utf-8"))


# --- Numérotation ------------------------------------------------------------------


def test_numbers_follow_each_other_per_issuer_without_gaps(
    alice_agent, grille_2024_14, rendu_rapide
):
    communes = [CollectiviteFactory(nom=nom) for nom in ("Ruitz", "Beuvry", "Houdain")]
    _convention_pour(communes, grille_2024_14)
    fibre = [accepte_pour(c, alice_agent) for c in communes]
    cdg = accepte_pour(communes[0], alice_agent, emetteur="cdg")

    factures = [services.facture_emettre(devis=d, par=alice_agent) for d in fibre]
    facture_cdg = services.facture_emettre(devis=cdg, par=alice_agent)

    annee = datetime.date.today().year
    assert [f.sequence for f in factures] == [1, 2, 3]
    assert [f.numero for f in factures] == [
        f"LFN5962-FA-{annee}-{n:04d}" for n in (1, 2, 3)
    ]
    assert (facture_cdg.numero, facture_cdg.sequence) == (f"CDG62-FA-{annee}-0001", 1)


def test_a_failed_issue_gives_its_number_back(
    alice_agent, grille_2024_14, rendu_rapide, monkeypatch
):
    """Le rendu échoue : rien n'est émis, le numéro suivant reste le même."""
    communes = [CollectiviteFactory(nom=nom) for nom in ("Ruitz", "Beuvry")]
    _convention_pour(communes, grille_2024_14)
    premier, second = (accepte_pour(c, alice_agent) for c in communes)

    def panne(*args, **kwargs):
        raise OSError("rendu impossible")

    with monkeypatch.context() as patch:
        patch.setattr("facturation.facturx.pdf_facturx", panne)
        with pytest.raises(OSError):
            services.facture_emettre(devis=premier, par=alice_agent)

    assert not Facture.objects.exists()
    assert not CompteurFacture.objects.filter(dernier__gt=0).exists()
    assert services.facture_emettre(devis=second, par=alice_agent).sequence == 1
    assert services.facture_emettre(devis=premier, par=alice_agent).sequence == 2


def test_a_new_year_starts_again_at_one(
    devis_accepte, alice_agent, rendu_rapide, monkeypatch
):
    CompteurFacture.objects.create(
        emetteur=devis_accepte.emetteur, annee=2031, dernier=41
    )
    monkeypatch.setattr(
        "django.utils.timezone.localdate", lambda *a: datetime.date(2032, 1, 2)
    )

    facture = services.facture_emettre(devis=devis_accepte, par=alice_agent)

    assert (facture.numero, facture.annee) == ("LFN5962-FA-2032-0001", 2032)
    assert facture.date_echeance == datetime.date(2032, 2, 1)


# --- Refus ----------------------------------------------------------------------


def test_a_second_issue_for_the_same_devis_is_refused(
    devis_accepte, alice_agent, rendu_rapide
):
    premiere = services.facture_emettre(devis=devis_accepte, par=alice_agent)

    with pytest.raises(ValidationError) as refus:
        services.facture_emettre(devis=devis_accepte, par=alice_agent)

    assert f"déjà sa facture ({premiere.numero})" in " ".join(refus.value.messages)
    assert Facture.objects.count() == 1
    assert CompteurFacture.objects.get().dernier == 1


@pytest.mark.parametrize("etat", ["brouillon", "emis", "refuse", "annule"])
def test_a_devis_that_is_not_accepted_is_refused(
    brouillon_cdg, devis_emis, alice_agent, etat, rendu_rapide
):
    devis = brouillon_cdg if etat == "brouillon" else devis_emis
    if etat == "refuse":
        devis_services.devis_refuser(
            devis=devis, motif="Trop cher", par=alice_agent, canal="papier"
        )
    elif etat == "annule":
        devis_services.devis_annuler(devis=devis, motif="Erreur", par=alice_agent)

    with pytest.raises(ValidationError) as refus:
        services.facture_emettre(devis=devis, par=alice_agent)

    assert "seul un devis accepté peut être facturé" in " ".join(refus.value.messages)
    assert not Facture.objects.exists()
    assert not CompteurFacture.objects.filter(dernier__gt=0).exists()


@pytest.mark.parametrize(
    ("valeur", "attendu"),
    [("", "le SIRET de"), ("2000000160", "un SIRET de")],
    ids=["absent", "trop-court"],
)
def test_an_issuer_without_a_valid_siret_is_refused_with_what_is_missing(
    devis_accepte, alice_agent, valeur, attendu
):
    Organisme.objects.filter(code="fibre").update(siret=valeur, mention_tva="")
    nom = Organisme.objects.get(code="fibre").nom

    with pytest.raises(ValidationError) as refus:
        services.facture_emettre(devis=devis_accepte, par=alice_agent)

    message = " ".join(refus.value.messages)
    assert message.startswith("La facture ne peut pas être établie : il manque")
    assert f"{attendu} {nom}" in message
    assert f"la mention TVA de {nom}" in message
    assert not Facture.objects.exists()


def test_a_recipient_without_address_is_refused(devis_accepte, alice_agent, ruitz):
    ruitz.adresse = ""
    ruitz.save()

    with pytest.raises(ValidationError, match="l'adresse de Ruitz"):
        services.facture_emettre(devis=devis_accepte, par=alice_agent)


# --- Une facture émise ne change plus : le modèle ---------------------------------


def test_the_model_refuses_to_save_or_delete_an_issued_invoice(facture):
    facture.total_ttc = Decimal("1.00")

    with pytest.raises(FactureVerrouillee):
        facture.save()
    with pytest.raises(FactureVerrouillee):
        facture.delete()
    facture.refresh_from_db()
    assert facture.total_ttc == Decimal("136.80")


# --- … ni la base (SQLite et PostgreSQL) ------------------------------------------


@pytest.mark.parametrize(
    "champs",
    [
        {"total_ttc": Decimal("1.00")},
        {"numero": "LFN5962-FA-1999-9999"},
        {"sequence": 99},
        {"lignes": []},
        {"emetteur_fige": {}},
        {"destinataire_fige": {"nom": "Autre"}},
        {"mention_tva": "autre"},
        {"xml": "<autre/>"},
        {"pdf": "factures/autre.pdf"},
        {"pdf_sha256": "0" * 64},
    ],
    ids=lambda champs: next(iter(champs)),
)
def test_the_database_refuses_to_update_an_issued_invoice(
    devis_accepte, alice_agent, rendu_rapide, champs
):
    facture = services.facture_emettre(devis=devis_accepte, par=alice_agent)

    message = refus_de_la_base(
        lambda: Facture.objects.filter(pk=facture.pk).update(**champs)
    )

    assert "Une facture émise ne peut plus être modifiée" in message
    assert Facture.objects.get(pk=facture.pk).total_ttc == Decimal("136.80")


def test_the_database_refuses_to_delete_an_issued_invoice(
    devis_accepte, alice_agent, rendu_rapide
):
    facture = services.facture_emettre(devis=devis_accepte, par=alice_agent)

    message = refus_de_la_base(
        sql("DELETE FROM facturation_facture WHERE id = %s", [facture.pk])
    )

    assert "Une facture émise ne se supprime pas" in message
    assert Facture.objects.filter(pk=facture.pk).exists()


def test_the_database_refuses_to_replace_an_issued_invoice_row(
    devis_accepte, alice_agent, rendu_rapide
):
    facture = services.facture_emettre(devis=devis_accepte, par=alice_agent)

    message = refus_de_la_base(
        remplacer("facturation_facture", facture.pk, "total_ttc", "1")
    )

    assert "Une facture émise ne peut plus être modifiée" in message
    assert Facture.objects.get(pk=facture.pk).total_ttc == Decimal("136.80")


def test_the_database_refuses_to_empty_the_invoice_table(
    devis_accepte, alice_agent, rendu_rapide
):
    """PostgreSQL : ``TRUNCATE … CASCADE`` ; SQLite : ``DELETE`` sans condition."""
    facture = services.facture_emettre(devis=devis_accepte, par=alice_agent)

    message = refus_de_la_base(vider("facturation_facture"))

    assert "facture émise" in message or "devis émis" in message
    assert Facture.objects.filter(pk=facture.pk).exists()


def test_the_database_guards_are_installed_on_this_engine():
    if connection.vendor == "postgresql":
        requete = (
            "SELECT count(*) FROM pg_trigger WHERE tgrelid = "
            "'facturation_facture'::regclass AND NOT tgisinternal"
        )
        attendu = 2  # lignes, vidage
    else:
        requete = (
            "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' "
            "AND tbl_name = 'facturation_facture'"
        )
        attendu = 3  # remplacement, modification, suppression
    with connection.cursor() as curseur:
        curseur.execute(requete)
        assert curseur.fetchone()[0] == attendu


# --- Back office ----------------------------------------------------------------


def test_an_agent_issues_the_invoice_from_the_accepted_devis_page(
    agent, devis_accepte, rendu_rapide
):
    page = agent.get(f"/gestion/devis/{devis_accepte.pk}/")
    assert "Établir la facture Factur-X" in page.content.decode()

    reponse = agent.post(f"/gestion/facturation/devis/{devis_accepte.pk}/facture")

    assert reponse.status_code == 302
    assert reponse["Location"] == f"/gestion/devis/{devis_accepte.pk}/"
    facture = Facture.objects.get(devis=devis_accepte)
    assert messages_de(reponse) == [
        f"Facture {facture.numero} établie au format Factur-X (EN 16931)."
    ]
    page = agent.get(f"/gestion/devis/{devis_accepte.pk}/").content.decode()
    assert "Établir la facture Factur-X" not in page
    assert f"/gestion/facturation/devis/{devis_accepte.pk}/facture.pdf" in page


def test_a_refused_issue_shows_a_french_message(agent, devis_emis):
    reponse = agent.post(f"/gestion/facturation/devis/{devis_emis.pk}/facture")

    assert reponse.status_code == 302
    (message,) = messages_de(reponse)
    assert "seul un devis accepté peut être facturé" in message
    assert (
        "Établir la facture"
        not in agent.get(f"/gestion/devis/{devis_emis.pk}/").content.decode()
    )


def test_the_agent_downloads_the_stored_pdf_checked_by_its_hash(
    agent, devis_accepte, alice_agent, rendu_rapide
):
    facture = services.facture_emettre(devis=devis_accepte, par=alice_agent)
    url = f"/gestion/facturation/devis/{devis_accepte.pk}/facture.pdf"

    reponse = agent.get(url)

    assert reponse.status_code == 200
    assert b"".join(reponse.streaming_content) == stocke(facture)
    assert f'filename="{facture.numero}.pdf"' in reponse["Content-Disposition"]
    with facture.pdf.open("wb") as fichier:  # altéré sur le disque
        fichier.write(b"%PDF-1.7 autre chose")
    assert agent.get(url).status_code == 409


def test_a_devis_without_invoice_has_no_pdf(agent, devis_accepte):
    url = f"/gestion/facturation/devis/{devis_accepte.pk}/facture.pdf"

    assert agent.get(url).status_code == 404


# --- Portail : la facture de sa collectivité, pas d'une autre ---------------------


def test_a_member_downloads_the_invoice_of_their_collectivite(
    client, facture, sophie, devis_accepte
):
    client.force_login(sophie)
    url = f"/portail/{devis_accepte.collectivite_id}/devis/{devis_accepte.pk}/"

    page = client.get(url).content.decode()
    reponse = client.get(url + "facture.pdf")

    assert f"Télécharger la facture {facture.numero}" in page
    assert reponse.status_code == 200
    assert b"".join(reponse.streaming_content) == stocke(facture)


def test_the_invoice_of_another_collectivite_is_a_404(
    client, facture, devis_accepte, grille_2024_14
):
    beuvry = CollectiviteFactory(nom="Beuvry")
    bob = Utilisateur.objects.create_user("bob@mairie-beuvry.fr", "x")
    Adhesion.objects.create(utilisateur=bob, collectivite=beuvry, role="signataire")
    client.force_login(bob)

    chemin = f"devis/{devis_accepte.pk}/facture.pdf"
    assert client.get(f"/portail/{beuvry.pk}/{chemin}").status_code == 404
    assert (
        client.get(f"/portail/{devis_accepte.collectivite_id}/{chemin}").status_code
        == 404
    )


# --- Démonstration -----------------------------------------------------------------


def test_the_demo_step_issues_one_invoice_and_is_idempotent(
    ruitz, alice_agent, rendu_rapide
):
    from facturation import demo

    (devis, *_) = devis_services.devis_creer_brouillons(
        collectivite=ruitz,
        lignes=[LigneDemandee("messagerie-5go", 2)],
        par=alice_agent,
        commentaire="Demande de démonstration.",
    )
    accepter(devis_services.devis_emettre(devis=devis, par=alice_agent), alice_agent)
    sortie = io.StringIO()

    demo.charger(sortie)
    demo.charger(sortie)

    assert Facture.objects.filter(devis=devis).count() == 1
    assert "déjà présente" in sortie.getvalue()
    assert Devis.objects.get(pk=devis.pk).statut == Devis.Statut.ACCEPTE


# --- Aides des tests à plusieurs communes ------------------------------------------


def _convention_pour(communes, grille):
    from conventions.models import Convention
    from tests.factories import ConventionFactory

    for commune in communes:
        ConventionFactory(
            collectivite=commune,
            grille=grille,
            statut=Convention.Statut.SIGNEE,
            date_effet=datetime.date(2024, 5, 2),
        )
