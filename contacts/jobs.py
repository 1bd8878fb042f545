"""RQ entry points of contacts. Thin: they take ids and call services."""

from contacts.importing import service


def import_run_job(import_id: int) -> str:
    """Run a queued import. Idempotent: a second run of the same import does nothing,
    and a run after a crash starts again from the file (nothing was applied)."""
    return service.import_run(import_id=import_id)


def imports_recover_stalled() -> int:
    """Every minute: run again the imports whose worker died. Idempotent."""
    return service.imports_recover_stalled()
