"""Le journal des modifications : l'historique django-simple-history lu en lignes.

Chaque modèle suivi a ``history = HistoricalRecords()`` ; l'auteur d'une
modification faite par une page est noté par
``simple_history.middleware.HistoryRequestMiddleware`` (et par
``SimpleHistoryAdmin`` dans l'administration). Chaque application bâtit ses
journaux dans son ``selectors.py`` — une requête par historique,
``select_related("history_user")``, dans l'ordre chronologique — et les met en
lignes par :func:`journal` ; le gabarit ``conventions/gestion/_journal.html``
les affiche.

Les tables historiques ne reçoivent que des insertions : elles ne portent
aucune des gardes des documents figés (``config.gardes_sql``). Les
administrations des modèles suivis héritent de :class:`HistoriqueAdmin` ;
une migration qui ajoute un historique y inscrit l'état présent
(:func:`etat_initial`).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from decimal import Decimal

from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.numberformat import format as format_nombre
from simple_history.admin import SimpleHistoryAdmin

NATURES = {"+": "Création", "~": "Modification", "-": "Suppression"}
VALEUR_ABSENTE = "—"
MOTIF_ETAT_INITIAL = "État à la mise en place de l'historique"


def valeur_lisible(enregistrement, champ: str) -> str:
    """La valeur d'un champ telle qu'un agent la lit : libellé d'un choix,
    date en toutes lettres, montant à la française, « oui »/« non »."""
    champ_modele = enregistrement._meta.get_field(champ)
    # Une clé étrangère se lit par son identifiant : pas de requête par ligne.
    valeur = getattr(enregistrement, champ_modele.attname)
    if valeur is None or valeur == "" or valeur == [] or valeur == {}:
        return VALEUR_ABSENTE
    if isinstance(valeur, bool):
        return "oui" if valeur else "non"
    if isinstance(valeur, str | int):
        choix = dict(champ_modele.flatchoices)
        if valeur in choix:
            return str(choix[valeur])
    if champ_modele.is_relation:
        return f"n°{valeur}"
    if isinstance(valeur, datetime.datetime):
        if timezone.is_aware(valeur):
            valeur = timezone.localtime(valeur)
        return date_format(valeur, "j F Y à H:i")
    if isinstance(valeur, datetime.date):
        return date_format(valeur, "j F Y")
    if isinstance(valeur, Decimal):
        return format_nombre(
            valeur, ",", grouping=3, thousand_sep="\u202f", force_grouping=True
        )
    return str(valeur)


def journal(
    enregistrements: Iterable,
    champs: tuple[str, ...],
    modele,
    *,
    valeur: Callable[[object, str], str] = valeur_lisible,
    objet: Callable[[object], str] | None = None,
    creation: bool = False,
) -> list[dict]:
    """Lignes d'historique, les plus récentes d'abord.

    ``enregistrements`` : enregistrements historiques d'un ou plusieurs objets
    d'un même modèle, dans l'ordre chronologique. Chaque ligne : date, auteur,
    nature, motif et changements (« champ : avant → après ») par rapport à
    l'état précédent du même objet ; ``objet`` nomme l'objet de chaque ligne
    (journal de plusieurs objets) ; avec ``creation``, une création montre
    aussi ses valeurs de départ.
    """
    lignes = []
    precedents: dict[int, object] = {}
    for enregistrement in enregistrements:
        avant = precedents.get(enregistrement.id)
        changements = []
        if enregistrement.history_type == "~" and avant is not None:
            for champ in champs:
                ancien = valeur(avant, champ)
                nouveau = valeur(enregistrement, champ)
                if ancien != nouveau:
                    changements.append(
                        (modele._meta.get_field(champ).verbose_name, ancien, nouveau)
                    )
        elif enregistrement.history_type == "+" and creation:
            for champ in champs:
                nouveau = valeur(enregistrement, champ)
                if nouveau != VALEUR_ABSENTE:
                    changements.append(
                        (
                            modele._meta.get_field(champ).verbose_name,
                            VALEUR_ABSENTE,
                            nouveau,
                        )
                    )
        precedents[enregistrement.id] = enregistrement
        lignes.append(
            {
                "date": enregistrement.history_date,
                "auteur": enregistrement.history_user,
                "type": enregistrement.history_type,
                "nature": NATURES.get(enregistrement.history_type, ""),
                "motif": enregistrement.history_change_reason or "",
                "changements": changements,
                "objet_id": enregistrement.id,
                "objet": objet(enregistrement) if objet else "",
            }
        )
    lignes.reverse()
    return lignes


def fusionner(*journaux: list[dict]) -> list[dict]:
    """Plusieurs journaux en un seul, les lignes les plus récentes d'abord."""
    lignes = [ligne for lignes in journaux for ligne in lignes]
    lignes.sort(key=lambda ligne: ligne["date"], reverse=True)
    return lignes


def etat_initial(apps, app_label: str, modeles: tuple[str, ...]) -> None:
    """Pour une migration qui ajoute un historique : l'état présent de chaque
    objet déjà en base devient son premier enregistrement historique (sans
    auteur), pour que la première modification suivante montre « avant →
    après »."""
    maintenant = timezone.now()
    for nom in modeles:
        modele = apps.get_model(app_label, nom)
        historique = apps.get_model(app_label, f"Historical{nom}")
        champs = [
            f.attname
            for f in historique._meta.concrete_fields
            if not f.name.startswith("history_")
        ]
        historique.objects.bulk_create(
            (
                historique(
                    **{champ: getattr(objet, champ) for champ in champs},
                    history_date=maintenant,
                    history_type="+",
                    history_change_reason=MOTIF_ETAT_INITIAL,
                )
                for objet in modele.objects.order_by("pk").iterator()
            ),
            batch_size=500,
        )


class HistoriqueAdmin(SimpleHistoryAdmin):
    """L'administration avec son bouton « Historique » (django-simple-history).

    Revenir à une version passée (formulaire d'une version envoyé en POST)
    n'est permis qu'à qui peut modifier l'objet : ``SimpleHistoryAdmin`` ne le
    vérifie pas (il bâtit le formulaire complet), et une grille publiée
    lèverait alors son verrou en erreur 500 ; le refus est ici net (403).
    """

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method == "POST":
            objet = self.get_object(request, unquote(object_id))
            if objet is None or not self.has_change_permission(request, objet):
                raise PermissionDenied
        return super().history_form_view(
            request, object_id, version_id, extra_context=extra_context
        )
