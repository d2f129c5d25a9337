"""Authentification : django-axes devant le backend standard de Django."""

from __future__ import annotations

from axes.backends import AxesStandaloneBackend


class AxesBackend(AxesStandaloneBackend):
    """Vérifie le verrouillage django-axes des connexions venues du web.

    Une authentification sans requête (code interne, tests) ne vient pas d'un
    navigateur : il n'y a rien à verrouiller, on laisse le backend suivant faire.
    """

    def authenticate(self, request=None, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username, password, **kwargs)
