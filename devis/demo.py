"""Données de démonstration des devis (voir charger_demo)."""


def charger(stdout) -> None:
    """Ajouté par l'issue des devis."""
