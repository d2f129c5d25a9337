"""Données de démonstration des collectivités et conventions (voir charger_demo)."""


def charger(stdout) -> None:
    """Ajouté par l'issue des conventions."""
