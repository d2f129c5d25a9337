"""Cache Redis de Django, avec un seul client Redis par serveur.

Le client de Django crée un objet ``redis.Redis`` à chaque lecture ou écriture ;
avec redis-py 8 cette création coûte plus que l'aller-retour lui-même (mesuré :
plus d'une milliseconde par page du portail, deux lectures). Un client Redis est
sûr entre fils d'exécution (il puise dans son pool de connexions) : on le garde.
"""

from __future__ import annotations

from django.core.cache.backends import redis as django_redis

# Caches propres à chaque processus : ni les sessions ni l'invalidation de
# l'accueil du portail ne peuvent s'y appuyer quand plusieurs processus servent.
CACHES_LOCAUX = (
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
)


def est_partage(reglage_cache: dict) -> bool:
    """Le cache décrit (une entrée de ``CACHES``) est-il commun aux processus ?"""
    return reglage_cache["BACKEND"] not in CACHES_LOCAUX


class RedisCacheClientReutilise(django_redis.RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)  # gardé à vie par Django
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class RedisCache(django_redis.RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = RedisCacheClientReutilise
