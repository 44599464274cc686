"""django-import-export resources of pay inputs (the admin's preview-and-confirm imports): every
row is saved or deleted by a writer of the layer, never by the resource itself."""


class WritesThroughTheLayer:
    """Put first in a pay-input resource's bases, and define ``layer_save`` and
    ``layer_delete`` with the layer's writers (they ask the policy of ``by``, refuse or admit by
    the locked months, mark the months and audit each row).

    The preview (a dry run) runs the same writers in a transaction that is rolled back, so it
    shows the same refusals as the import: a refusal is the row's error with the layer's
    message. A file with any refused or invalid row imports nothing (fix it, import again)."""

    def layer_save(self, instance, *, new: bool, row, by) -> None:
        raise NotImplementedError

    def layer_delete(self, instance, *, row, by) -> None:
        raise NotImplementedError

    def import_data(self, dataset, dry_run=False, raise_errors=False, use_transactions=None,
                    collect_failed_rows=False, rollback_on_validation_errors=False, **kwargs):
        return super().import_data(
            dataset, dry_run=dry_run, raise_errors=raise_errors, use_transactions=True,
            collect_failed_rows=collect_failed_rows, rollback_on_validation_errors=True,
            **kwargs)

    def save_instance(self, instance, is_create, row, **kwargs):
        self.before_save_instance(instance, row, **kwargs)
        self.layer_save(instance, new=is_create, row=row, by=kwargs.get("user"))
        self.after_save_instance(instance, row, **kwargs)

    def delete_instance(self, instance, row, **kwargs):
        self.before_delete_instance(instance, row, **kwargs)
        self.layer_delete(instance, row=row, by=kwargs.get("user"))
        self.after_delete_instance(instance, row, **kwargs)


def reason_in(row) -> str:
    """The optional "reason" column of a file (a correction of an approved month needs one)."""
    return str((row or {}).get("reason") or "").strip()
