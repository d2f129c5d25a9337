from __future__ import annotations

from django.contrib.auth.forms import AuthenticationForm


class ConnexionForm(AuthenticationForm):
    error_messages = {
        "invalid_login": (
            "Adresse électronique ou mot de passe incorrect. "
            "Le mot de passe tient compte des majuscules."
        ),
        "inactive": "Ce compte est désactivé.",
    }

    def clean_username(self):
        return self.cleaned_data["username"].strip().lower()
