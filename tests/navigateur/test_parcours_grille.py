"""Nouvelle version de la grille dans l'administration de Django, dans un vrai
navigateur : duplication de la grille 2024/14, un prix changé, une date d'effet
plus récente, publication. Un nouveau devis est chiffré sur la nouvelle grille ;
le devis émis avant garde ses montants et son PDF, à l'octet près."""

from __future__ import annotations

import datetime
import hashlib
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from comptes.models import Utilisateur
from devis.models import Devis
from tarifs.calcul import LigneDemandee
from tarifs.models import GrilleTarifaire, Tarif
from tests.factories import devis_emis_pour
from tests.navigateur.outils import (
    MOT_DE_PASSE,
    commune_conventionnee,
    grille_et_agent,
    se_connecter,
)

pytestmark = [
    pytest.mark.navigateur,
    # Le serveur de test lit la base depuis un autre fil : données validées.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def sha256(octets: bytes) -> str:
    return hashlib.sha256(octets).hexdigest()


def pdf_conserve(devis: Devis) -> bytes:
    with devis.pdf.open("rb") as fichier:
        return fichier.read()


def message_admin(page):
    return page.locator("ul.messagelist li").last


def appliquer_action(page, grille: GrilleTarifaire, action: str) -> None:
    """Coche une grille dans la liste de l'administration et lance ``action``."""
    page.goto("/admin/tarifs/grilletarifaire/")
    page.locator(f"input[name='_selected_action'][value='{grille.pk}']").check()
    page.locator("select[name='action']").select_option(label=action)
    page.get_by_role("button", name="Envoyer").click()


def test_a_new_grid_version_prices_new_devis_and_leaves_issued_ones_untouched(onglet):
    grille, agent = grille_et_agent()
    ruitz = commune_conventionnee(grille)
    # Émis sur la grille 2024/14 : 2 noms de domaine à 15 € par an.
    (avant,) = devis_emis_pour(
        ruitz, par=agent, lignes=[LigneDemandee("nom-de-domaine", 2)]
    )
    pdf_avant = sha256(pdf_conserve(avant))
    assert avant.total_annuel == Decimal("30.00")
    admin = Utilisateur.objects.create_superuser("admin@cdg62.fr", MOT_DE_PASSE)
    hier = timezone.localdate() - datetime.timedelta(days=1)

    page = onglet
    # La CSP stricte s'applique aussi à /admin/ : on relève toute violation.
    violations_csp = []
    page.on(
        "console",
        lambda m: "Content Security Policy" in m.text and violations_csp.append(m.text),
    )
    se_connecter(page, admin.email)

    # 1. Dupliquer la grille 2024/14.
    appliquer_action(page, grille, "Dupliquer en nouvelle version (brouillon)")
    expect(message_admin(page)).to_contain_text("Grille 2024/14 dupliquée")
    copie = GrilleTarifaire.objects.exclude(pk=grille.pk).get()
    assert copie.statut == GrilleTarifaire.Statut.BROUILLON

    # 2. Sa référence, sa délibération et sa date d'effet (hier : en vigueur
    # aujourd'hui, et plus récente que le 26 mars 2024).
    page.locator(f"#result_list a[href$='/grilletarifaire/{copie.pk}/change/']").click()
    page.get_by_label("Référence de la délibération").fill("2025/03")
    page.get_by_label("Date de la délibération").fill(hier.strftime("%d/%m/%Y"))
    page.get_by_label("Date d'effet").fill(hier.strftime("%d/%m/%Y"))
    page.locator("input[name='_save']").click()
    expect(message_admin(page)).to_contain_text("modifié avec succès")
    copie.refresh_from_db()
    assert (copie.reference, copie.date_effet) == ("2025/03", hier)

    # 3. Le nom de domaine passe de 15,00 € à 18,00 € sur la copie.
    page.goto(
        "/admin/tarifs/tarif/"
        f"?prestation__grille__id__exact={copie.pk}&q=nom-de-domaine"
    )
    page.locator("#result_list tbody th a").first.click()
    prix = page.get_by_label("Prix unitaire TTC")
    expect(prix).to_have_value("15.00")
    prix.fill("18.00")
    page.locator("input[name='_save']").click()
    expect(message_admin(page)).to_contain_text("modifié avec succès")
    tarif = Tarif.objects.get(
        prestation__grille=copie, prestation__code="nom-de-domaine"
    )
    assert tarif.prix_unitaire == Decimal("18.00")

    # 4. Publier, après la page de confirmation.
    appliquer_action(page, copie, "Publier (la grille devient non modifiable)")
    expect(page.get_by_role("heading", name="Confirmer la publication")).to_be_visible()
    expect(page.get_by_text("Aucune anomalie détectée.")).to_be_visible()
    page.get_by_role("button", name="Oui, publier").click()
    expect(message_admin(page)).to_contain_text("Grille 2025/03 publiée")
    copie.refresh_from_db()
    assert copie.est_publiee

    # 5. Un nouveau devis est chiffré sur la nouvelle grille : 18,00 €.
    reponse = page.request.post(
        "/api/chiffrage",
        data={
            "collectivite": {"id": ruitz.pk},
            "lignes": [{"code": "nom-de-domaine", "quantite": 2}],
        },
    )
    assert reponse.ok
    chiffrage = reponse.json()
    assert chiffrage["grille"]["reference"] == "2025/03"
    (ligne_api,) = chiffrage["devis"][0]["lignes"]
    assert (ligne_api["prix_unitaire"], ligne_api["montant"]) == ("18.00", "36.00")

    page.goto(f"/gestion/devis/nouveau?collectivite={ruitz.pk}")
    page.locator("#id_quantite_nom-de-domaine").fill("2")
    fibre = page.locator("#chiffrage [data-emetteur='fibre']")
    expect(fibre.get_by_role("row", name=re.compile("Nom de domaine"))).to_contain_text(
        "18,00\u00a0€"
    )
    expect(fibre.locator(".total-annuel")).to_have_text("36,00\u00a0€")
    page.get_by_role("button", name="Créer les brouillons de devis").click()
    page.wait_for_url(re.compile(r"/gestion/devis/\d+/$"))
    nouveau = Devis.objects.exclude(pk=avant.pk).get()
    assert nouveau.grille == copie
    assert nouveau.lignes.get().prix_unitaire == Decimal("18.00")

    # 6. Le devis émis avant n'a pas bougé : montants, grille, PDF.
    avant.refresh_from_db()
    assert avant.grille == grille
    assert avant.total_annuel == Decimal("30.00")
    assert avant.lignes.get().prix_unitaire == Decimal("15.00")
    assert sha256(pdf_conserve(avant)) == pdf_avant
    page.goto(f"/gestion/devis/{avant.pk}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text(avant.numero)
    lignes = page.locator("section[aria-labelledby='titre-lignes']")
    expect(lignes).to_contain_text("15,00\u00a0€")
    expect(lignes).not_to_contain_text("18,00")
    with page.expect_download() as attente:
        page.get_by_role(
            "link", name=f"Télécharger le PDF du devis {avant.numero}"
        ).click()
    assert sha256(Path(attente.value.path()).read_bytes()) == pdf_avant

    assert not violations_csp, violations_csp
