"""``verifier_cache`` : ``make serve`` ne démarre pas sur un cache muet."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings


def test_the_cache_check_passes_on_a_working_cache(capsys):
    call_command("verifier_cache")
    sortie = capsys.readouterr().out
    assert "Cache prêt" in sortie
    assert "propre à chaque processus" in sortie  # le cache des tests est local


def test_the_cache_check_explains_an_unreachable_redis():
    muet = {
        "default": {
            "BACKEND": "config.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # aucun serveur ici
        }
    }
    with (
        override_settings(CACHES=muet),
        pytest.raises(CommandError, match="ne répond pas.*Démarrez Redis"),
    ):
        call_command("verifier_cache")
