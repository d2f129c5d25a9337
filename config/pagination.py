"""La pagination des listes du back office, constante dans la taille des tables.

Django's ``Paginator`` compte toutes les lignes filtrées (``COUNT(*)`` sur la
jointure) et autorise n'importe quelle page (``OFFSET`` aussi profond que la
table) : à 200 000 devis, la dernière page et le comptage coûtent dix fois plus
qu'à 20 000 (banc ``bench/bench_pages.py``). Ici, le comptage s'arrête à
:data:`PLAFOND` lignes (``COUNT`` sur une sous-requête ``LIMIT``, servie par
l'index de tri) et les pages au-delà ne sont pas proposées : la liste dit
« plus de 10 000 » et invite à filtrer (émetteur, année, collectivité, numéro),
ce que fait de toute façon un agent qui cherche un devis ancien.
"""

from __future__ import annotations

from django.core.paginator import Paginator
from django.utils.functional import cached_property

PLAFOND = 10_000


class PaginateurPlafonne(Paginator):
    """Un ``Paginator`` dont le comptage et la profondeur s'arrêtent à
    ``plafond`` lignes ; ``plafonne`` dit si la liste en compte davantage."""

    def __init__(self, object_list, per_page, *, plafond: int | None = None, **kwargs):
        self.plafond = PLAFOND if plafond is None else plafond
        super().__init__(object_list, per_page, **kwargs)

    @cached_property
    def _compte_borne(self) -> int:
        liste = self.object_list
        if hasattr(liste, "values"):
            # Les seules clés, sans tri ni jointure inutile : l'index suffit.
            return liste.order_by().values("pk")[: self.plafond + 1].count()
        return min(len(liste), self.plafond + 1)

    @cached_property
    def plafonne(self) -> bool:
        return self._compte_borne > self.plafond

    @cached_property
    def count(self) -> int:
        return min(self._compte_borne, self.plafond)

    @property
    def compte_affiche(self) -> str:
        """« 1 234 » ou « plus de 10 000 » (espace fine insécable des milliers)."""
        texte = _milliers(self.count)
        return f"plus de {texte}" if self.plafonne else texte

    @property
    def plafond_affiche(self) -> str:
        return _milliers(self.plafond)


def _milliers(nombre: int) -> str:
    return f"{nombre:,}".replace(",", "\u202f")
