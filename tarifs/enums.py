"""Les deux émetteurs et les deux périodicités : un seul nom pour chacun,
partagé par le moteur de calcul, les modèles, les devis et les conventions."""

from __future__ import annotations

from django.db.models import TextChoices


class Emetteur(TextChoices):
    """Qui facture : La Fibre les services, le CDG l'accompagnement (domaine §2).

    L'organisme de chaque émetteur (identité, préfixe, signataire) est un
    ``conventions.Organisme`` dont ``code`` vaut l'une de ces valeurs.
    """

    FIBRE = "fibre", "La Fibre Numérique 59-62"
    CDG = "cdg", "CDG 62"


class Periodicite(TextChoices):
    UNIQUE = "unique", "Unique"
    ANNUELLE = "annuelle", "Annuelle"
