"""Adresse du client vue par django-axes (verrouillage identifiant + adresse).

Règle : derrière le mandataire TLS (``BEHIND_TLS_PROXY=1``), l'adresse est lue
dans ``X-Forwarded-For`` **seulement** quand la connexion vient d'un mandataire
de confiance (``FORWARDED_ALLOW_IPS``, la même variable que gunicorn, adresses
séparées par des virgules) ; on retient alors l'adresse la plus à droite, celle
que notre mandataire a ajoutée (les précédentes viennent du client et peuvent
être inventées). Sinon, ``REMOTE_ADDR`` : un en-tête envoyé directement par un
client n'est jamais cru. La lecture de l'en-tête passe par django-ipware.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from ipware import get_client_ip


def _est_de_confiance(adresse: str) -> bool:
    confiance = settings.FORWARDED_ALLOW_IPS
    if "*" in confiance:
        return True
    try:
        ip = ipaddress.ip_address(adresse)
    except ValueError:
        return False
    return any(ip in ipaddress.ip_network(reseau, strict=False) for reseau in confiance)


def adresse_client(request) -> str | None:
    """L'adresse IP du client réel (voir la règle du module)."""
    distante = request.META.get("REMOTE_ADDR")
    if not (settings.BEHIND_TLS_PROXY and distante and _est_de_confiance(distante)):
        return distante
    # Le dernier élément de la chaîne, quelle que soit sa portée (adresse privée
    # d'un réseau interne comprise) : c'est l'adresse vue par le mandataire.
    adresse, _ = get_client_ip(
        request,
        proxy_order="left-most",
        proxy_count=0,
        request_header_order=["HTTP_X_FORWARDED_FOR"],
        strict=False,
    )
    return adresse or distante
