"""La base jetable des bancs d'essai (``bench_pages``, ``bench_renouvellement``)."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

RACINE = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


def preparer_environnement(commandes: list[list[str]]) -> dict[str, str]:
    """Une base jetable (SQLite temporaire, ou la base PostgreSQL de
    ``DATABASE_URL`` recréée), migrée, puis ``commandes`` (manage.py)."""
    env = dict(os.environ)
    url = env.get("DATABASE_URL")
    if url and url.startswith("postgres"):
        base = url.rsplit("/", 1)[1]
        subprocess.run(
            [
                "psql",
                "-q",
                "-h",
                "127.0.0.1",
                "-U",
                "postgres",
                "-d",
                "postgres",
                "-c",
                f"DROP DATABASE IF EXISTS {base}",
                "-c",
                f"CREATE DATABASE {base}",
            ],
            check=True,
        )
    else:
        dossier = tempfile.mkdtemp(prefix="cdg62-bench-")
        url = f"sqlite:///{dossier}/bench.sqlite3"
    env.update(
        DATABASE_URL=url,
        DEBUG="0",
        SECRET_KEY="banc-d-essai-" + "x" * 50,
        ALLOWED_HOSTS="127.0.0.1,localhost,testserver",
        DJANGO_SETTINGS_MODULE="bench.reglages",
        AXES_ENABLED="0",
        CONN_MAX_AGE="60",
        PRIVATE_STORAGE_ROOT=tempfile.mkdtemp(prefix="cdg62-bench-prive-"),
        MEDIA_ROOT=tempfile.mkdtemp(prefix="cdg62-bench-media-"),
        PYTHONPATH=str(RACINE),
    )
    for commande in (["migrate", "-v", "0"], *commandes):
        subprocess.run(
            [PYTHON, "manage.py", *commande], cwd=RACINE, env=env, check=True
        )
    return env
