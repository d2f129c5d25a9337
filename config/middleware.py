"""En-têtes de sécurité envoyés sur toutes les réponses, y compris sous ``make run``."""

from __future__ import annotations

from django.conf import settings


class EntetesSecuriteMiddleware:
    """Complète SecurityMiddleware : HSTS même derrière un mandataire qui parle
    HTTP à l'application (le navigateur l'ignore en HTTP simple), et une
    Permissions-Policy qui coupe les API du navigateur inutiles ici."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if settings.SECURE_HSTS_SECONDS and "Strict-Transport-Security" not in response:
            valeur = f"max-age={settings.SECURE_HSTS_SECONDS}"
            if settings.SECURE_HSTS_INCLUDE_SUBDOMAINS:
                valeur += "; includeSubDomains"
            if settings.SECURE_HSTS_PRELOAD:
                valeur += "; preload"
            response["Strict-Transport-Security"] = valeur
        response.setdefault(
            "Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()"
        )
        return response
