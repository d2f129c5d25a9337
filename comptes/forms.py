"""Formulaire de connexion."""

from __future__ import annotations

from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError

MAX_ADRESSE = 254  # RFC 5321 : longueur maximale d'une adresse électronique


class ConnexionForm(AuthenticationForm):
    error_messages = {
        "invalid_login": (
            "Adresse électronique ou mot de passe incorrect. "
            "Le mot de passe tient compte des majuscules."
        ),
        "inactive": "Ce compte est désactivé.",
    }

    def clean_username(self):
        # AuthenticationForm annonce 254 caractères (attribut maxlength) sans les
        # vérifier : une adresse plus longue irait jusqu'au journal des échecs de
        # django-axes (varchar 255), que PostgreSQL refuse par une erreur 500.
        adresse = self.cleaned_data["username"].strip().lower()
        if len(adresse) > MAX_ADRESSE:
            raise ValidationError(
                f"Une adresse électronique compte au plus {MAX_ADRESSE} caractères.",
                code="max_length",
            )
        return adresse
