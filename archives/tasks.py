"""Les tâches de fond des archives (API Tasks de Django : ``django-tasks``)."""

from __future__ import annotations

from django_tasks import task

from archives import services


@task()
def exporter(export_id: int) -> dict:
    """Construit le ZIP d'un export d'archives."""
    export = services.export_executer(export_id)
    return {"statut": export.statut, "faites": export.faites, "total": export.total}
