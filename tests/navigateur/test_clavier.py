"""Le formulaire de devis du back office au clavier seul : lien d'évitement,
tabulation, choix de la collectivité, quantités, totaux en direct, ligne « sur
devis » chiffrée à la main, enregistrement — sans souris. Chaque élément qui
reçoit le focus le montre (contour ou ombre)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from devis.models import DemandeDevis, Devis
from tests.navigateur.outils import (
    commune_conventionnee,
    grille_et_agent,
    se_connecter,
)

pytestmark = [
    pytest.mark.navigateur,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

JUSTIFICATION = "25 postes : au-delà du barème A, une journée d'intervention"

# L'élément actif et la visibilité de son focus, lus dans la page.
ELEMENT_ACTIF = """() => {
  const e = document.activeElement;
  const s = getComputedStyle(e);
  return {
    id: e.id,
    nom: e.getAttribute("name") || "",
    balise: e.tagName.toLowerCase(),
    classes: e.className || "",
    texte: (e.innerText || e.value || "").trim().slice(0, 60),
    contour: s.outlineStyle !== "none" && parseFloat(s.outlineWidth) > 0,
    ombre: s.boxShadow !== "none",
  };
}"""


def element_actif(page) -> dict:
    return page.evaluate(ELEMENT_ACTIF)


class Clavier:
    """Tabulation au clavier ; retient chaque élément atteint pour vérifier
    ensuite que tous montraient leur focus."""

    def __init__(self, page):
        self.page = page
        self.atteints: list[dict] = []

    def tab(self, *, arriere: bool = False) -> dict:
        self.page.keyboard.press("Shift+Tab" if arriere else "Tab")
        actif = element_actif(self.page)
        self.atteints.append(actif)
        return actif

    def tab_jusqua(self, condition, *, maximum: int = 150) -> dict:
        for _ in range(maximum):
            actif = self.tab()
            if condition(actif):
                return actif
        raise AssertionError(f"Élément jamais atteint en {maximum} tabulations.")

    def sans_focus_visible(self) -> list[dict]:
        return [a for a in self.atteints if not (a["contour"] or a["ombre"])]


def attendre_le_chiffrage(page) -> None:
    """Laisse passer l'anti-rebond de htmx (300 ms après la dernière frappe),
    puis attend qu'aucune requête d'aperçu ne soit en cours (la classe
    ``htmx-request`` est retirée après l'échange du contenu)."""
    page.wait_for_timeout(400)
    expect(page.locator("form.htmx-request")).to_have_count(0)


def test_the_devis_form_works_with_the_keyboard_alone(onglet):
    grille, agent = grille_et_agent()
    ruitz = commune_conventionnee(grille)
    commune_conventionnee(grille, nom="Divion", population=6800)
    page = onglet
    se_connecter(page, agent.email)
    page.goto("/gestion/devis/nouveau")
    clavier = Clavier(page)

    # Le lien d'évitement est le premier élément atteint, visible au focus.
    actif = clavier.tab()
    assert "skip-link" in actif["classes"]
    assert actif["texte"] == "Aller au contenu"
    assert page.locator(".skip-link").bounding_box()["y"] >= 0
    page.keyboard.press("Enter")
    assert element_actif(page)["id"] == "contenu"

    # La zone annoncée aux lecteurs d'écran doit rester le même nœud (htmx n'en
    # remplace que le contenu) : on la marque pour le vérifier.
    zone = page.locator("[aria-live]:has(#chiffrage-annonce)")
    zone.evaluate("zone => zone.dataset.origine = '1'")

    # La collectivité se choisit en tapant son nom dans la liste.
    clavier.tab_jusqua(lambda a: a["id"] == "id_collectivite")
    page.keyboard.type("Ruitz")
    expect(page.locator("#id_collectivite")).to_have_value(str(ruitz.pk))

    # Une quantité saisie : les totaux en direct apparaissent (htmx).
    clavier.tab_jusqua(lambda a: a["id"] == "id_quantite_messagerie-5go")
    page.keyboard.type("3")
    fibre = page.locator("#chiffrage [data-emetteur='fibre']")
    expect(fibre.locator(".total-annuel")).to_have_text("60,00\u00a0€")
    expect(page.locator("[aria-live][data-origine]")).to_contain_text(
        "première année 60,00\u00a0€"
    )

    # Antivirus avec intervention du CDG, 25 postes : au-delà du barème, la
    # ligne est « sur devis ». On coche d'abord, puis on revient (Maj+Tab) à
    # la quantité.
    clavier.tab_jusqua(lambda a: a["id"] == "id_quantite_antivirus-mise-en-service")
    actif = clavier.tab()
    assert actif["id"] == "id_intervention_antivirus-mise-en-service"
    page.keyboard.press("Space")
    expect(page.locator("#id_intervention_antivirus-mise-en-service")).to_be_checked()
    actif = clavier.tab(arriere=True)
    assert actif["id"] == "id_quantite_antivirus-mise-en-service"
    page.keyboard.type("25")
    prix = page.locator("#chiffrage [name='prix_cdg_antivirus-mise-en-service']")
    expect(prix).to_be_visible()
    attendre_le_chiffrage(page)

    # Montant et justification de la ligne sur devis, dans l'aperçu.
    clavier.tab_jusqua(lambda a: a["nom"] == "prix_cdg_antivirus-mise-en-service")
    page.keyboard.type("450")
    actif = clavier.tab()
    assert actif["nom"] == "justification_cdg_antivirus-mise-en-service"
    attendre_le_chiffrage(page)
    page.keyboard.type(JUSTIFICATION)
    cdg = page.locator("#chiffrage [data-emetteur='cdg']")
    expect(cdg.locator(".total-unique")).to_have_text("450,00\u00a0€")
    attendre_le_chiffrage(page)
    expect(page.locator("#chiffrage [name^='justification_cdg']")).to_have_value(
        JUSTIFICATION
    )

    # Enregistrer au clavier : le bouton de création, pas « Recalculer ».
    clavier.tab_jusqua(lambda a: a["texte"] == "Créer les brouillons de devis")
    page.keyboard.press("Enter")
    page.wait_for_url("**/gestion/devis/*/")
    expect(page.get_by_role("status")).to_contain_text("2 brouillons de devis")

    demande = DemandeDevis.objects.get()
    assert demande.collectivite == ruitz
    brouillons = {d.emetteur.code: d for d in demande.devis.all()}
    assert set(brouillons) == {"fibre", "cdg"}
    assert all(d.statut == Devis.Statut.BROUILLON for d in brouillons.values())
    assert brouillons["fibre"].total_annuel == Decimal("60.00")
    ligne = brouillons["cdg"].lignes.get(code="antivirus-mise-en-service")
    assert ligne.quantite == 25
    assert ligne.montant == Decimal("450.00")
    assert ligne.justification == JUSTIFICATION

    assert not clavier.sans_focus_visible(), clavier.sans_focus_visible()
