"""Petits outils communs des tests de pages."""

from __future__ import annotations

import html


def lu(reponse) -> str:
    """Le HTML de la réponse, entités décodées (« n'est » plutôt que « n&#x27;est »)."""
    return html.unescape(reponse.content.decode())
