"""Balises des devis pour les pages du back office tenues par d'autres vues.

- ``{% devis_tableau_de_bord %}`` : devis en attente de réponse, devis qui
  expirent dans les 15 jours, demandes du portail à chiffrer ;
- ``{% devis_de_la_collectivite collectivite %}`` : les devis d'une
  collectivité et le bouton « Nouveau devis » ;
- ``{{ champ|controle:"form-control" }}`` : un champ de formulaire avec ses
  classes Bootstrap, ``is-invalid`` et ``aria-describedby`` vers ses erreurs.

Chaque balise fait un nombre fixe de requêtes, quel que soit le nombre de
devis.
"""

from __future__ import annotations

from django import template
from django.utils import timezone

from devis import selectors

register = template.Library()

LIMITE_TABLEAU_DE_BORD = 20


@register.inclusion_tag("devis/gestion/balises/tableau_de_bord.html")
def devis_tableau_de_bord():
    aujourdhui = timezone.localdate()
    en_attente = selectors.devis_en_attente_de_reponse(aujourdhui)
    expirant = selectors.devis_expirant_bientot(aujourdhui)
    demandes = list(selectors.demandes_a_chiffrer()[: LIMITE_TABLEAU_DE_BORD + 1])
    totaux = selectors.totaux_en_attente(aujourdhui)
    return {
        "en_attente": list(en_attente[:LIMITE_TABLEAU_DE_BORD]),
        "en_attente_total": totaux["en_attente"],
        "expirant": list(expirant[:LIMITE_TABLEAU_DE_BORD]),
        "expirant_total": totaux["expirant"],
        "demandes": demandes[:LIMITE_TABLEAU_DE_BORD],
        # Une requête de comptage seulement si la liste déborde.
        "demandes_total": len(demandes)
        if len(demandes) <= LIMITE_TABLEAU_DE_BORD
        else selectors.demandes_a_chiffrer().count(),
        "jours": selectors.JOURS_AVANT_EXPIRATION,
        "aujourdhui": aujourdhui,
    }


@register.inclusion_tag("devis/gestion/balises/devis_collectivite.html")
def devis_de_la_collectivite(collectivite):
    return {
        "collectivite": collectivite,
        "devis_liste": list(selectors.devis_de_la_collectivite(collectivite)),
    }


@register.filter
def controle(champ, classes: str = ""):
    """Le widget d'un champ avec ``classes`` ; en erreur, ``is-invalid``,
    ``aria-invalid`` et ``aria-describedby`` vers le message d'erreur."""
    attrs = {"class": classes} if classes else {}
    decrit = []
    if champ.help_text:
        decrit.append(f"{champ.auto_id}_helptext")
    if champ.errors:
        attrs["class"] = f"{classes} is-invalid".strip()
        attrs["aria-invalid"] = "true"
        decrit.append(f"{champ.auto_id}_erreurs")
    if decrit:
        attrs["aria-describedby"] = " ".join(decrit)
    return champ.as_widget(attrs=attrs)
