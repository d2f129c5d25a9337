"""Les signaux des devis, pour les applications qui suivent (abonnements).

``devis_accepte`` part de ``devis.services`` dans la transaction même de
l'acceptation (portail ou papier) : ce que les receveurs écrivent est validé
ou annulé avec elle.
"""

from django.dispatch import Signal

# Arguments : devis (Devis accepté, lignes comprises) ; titulaire_cle, le
# titulaire (nom, fonction) des clés de signature indiqué au bon pour accord,
# ou None.
devis_accepte = Signal()
