"""Les signaux des devis, pour les applications qui suivent (abonnements).

``devis_accepte`` part de ``devis.services`` dans la transaction même de
l'acceptation (portail ou papier) : ce que les receveurs écrivent est validé
ou annulé avec elle.
"""

from django.dispatch import Signal

# Arguments : devis (Devis accepté, lignes comprises).
devis_accepte = Signal()
