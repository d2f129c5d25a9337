"""Portail des secrétaires de mairie (``/portail/``)."""

app_name = "portail"

urlpatterns: list = []
