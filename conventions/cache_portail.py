"""Cache de l'accueil du portail : ce qu'il affiche, recalculé seulement quand
une donnée affichée a changé.

L'accueil du portail est la page la plus demandée (chaque secrétaire y arrive
après connexion). Son contenu — les collectivités de l'utilisateur, leur
catégorie, leur convention, le nombre de devis en attente — ne change qu'à
l'écriture d'un des modèles de :func:`_modeles_affiches`, ou au changement de
jour (validité des devis, grille en vigueur). La page entière est gardée, avec
une marque à la place du jeton CSRF, propre à chaque visite, inséré à l'envoi.

Règles :

- une *génération* partagée (jeton aléatoire) est renouvelée à chaque écriture
  d'un modèle affiché (``post_save``/``post_delete``, donc aussi depuis
  l'administration et les commandes), puis de nouveau après la validation de la
  transaction : une lecture concurrente qui aurait mis en cache l'état d'avant
  la validation est ainsi écartée ;
- une entrée (clé : utilisateur et jour) n'est servie que si elle porte la
  génération en cours ; sinon elle est recalculée ;
- une entrée vit au plus :data:`DUREE_SECONDES`, filet de sécurité pour une
  écriture faite hors de l'ORM.

Le cache doit être partagé entre les processus en production (Redis,
``CACHE_URL``) : un contrôle ``check --deploy`` le vérifie.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.utils import timezone

CLE_GENERATION = "portail:generation"
DUREE_SECONDES = 300
# Constante (et non tirée au hasard) : une page gardée par un processus est
# servie par les autres. Lettres et chiffres seulement : rien à échapper.
MARQUE_CSRF = "cdg62JetonCsrfAInsererIci0f3a9c"


def _modeles_affiches() -> tuple:
    from conventions.models import Adhesion, Collectivite, Convention
    from devis.models import Devis
    from tarifs.models import Categorie, GrilleTarifaire

    return (Adhesion, Collectivite, Convention, Devis, GrilleTarifaire, Categorie)


def _generation() -> str:
    generation = cache.get(CLE_GENERATION)
    if generation is None:
        cache.add(CLE_GENERATION, uuid.uuid4().hex, None)
        generation = cache.get(CLE_GENERATION)
    return generation


def _renouveler() -> None:
    cache.set(CLE_GENERATION, uuid.uuid4().hex, None)


def invalider() -> None:
    """Périme tout le contenu mis en cache : tout de suite et à la validation."""
    _renouveler()
    transaction.on_commit(_renouveler)


def _variante(utilisateur) -> str:
    """Ce qui, de l'utilisateur, change la page : son identifiant, et ce que
    montre l'en-tête (adresse, lien vers l'administration)."""
    en_tete = f"{utilisateur.email}:{utilisateur.is_staff:d}".encode()
    return f"{utilisateur.pk}:{hashlib.blake2b(en_tete, digest_size=8).hexdigest()}"


def memoriser(nom: str, utilisateur, calculer: Callable[[], Any]) -> Any:
    """La valeur ``nom`` pour cet utilisateur et pour aujourd'hui, tirée du
    cache si elle a été calculée depuis la dernière écriture, sinon
    ``calculer()``.

    Une seule lecture du cache quand l'entrée est bonne (génération et entrée
    lues ensemble)."""
    jour = timezone.localdate().isoformat()
    cle = f"portail:{nom}:{_variante(utilisateur)}:{jour}"
    lues = cache.get_many([CLE_GENERATION, cle])
    generation = lues.get(CLE_GENERATION) or _generation()
    entree = lues.get(cle)
    if entree is not None and entree[0] == generation:
        return entree[1]
    valeur = calculer()
    cache.set(cle, (generation, valeur), DUREE_SECONDES)
    return valeur


def page_a_garder(request, gabarit: str, contexte: dict) -> str:
    """La page rendue pour être gardée : la marque au lieu du jeton CSRF."""
    return render_to_string(gabarit, {**contexte, "csrf_token": MARQUE_CSRF}, request)


def page_gardee_reponse(request, page: str) -> HttpResponse:
    """La page gardée, avec le jeton CSRF de cette visite."""
    return HttpResponse(page.replace(MARQUE_CSRF, get_token(request)))


def _sur_ecriture(sender, **kwargs) -> None:
    invalider()


def connecter() -> None:
    """Branche l'invalidation sur les écritures des modèles affichés (appelé par
    ``ConventionsConfig.ready``)."""
    for modele in _modeles_affiches():
        for signal in (post_save, post_delete):
            signal.connect(
                _sur_ecriture,
                sender=modele,
                dispatch_uid=f"cache_portail:{modele._meta.label}:{id(signal)}",
            )
