"""django-import-export resources of pay inputs (the admin's spreadsheet imports): each saved
row's (person, day) is collected and marked changed once after the import."""


class MarksPayInputs:
    """A resource of a pay input: ``pay_input_day(instance)`` gives the (manager id, day) a
    saved row feeds."""

    def pay_input_day(self, instance):
        raise NotImplementedError

    def after_save_instance(self, instance, row, **kwargs):
        super().after_save_instance(instance, row, **kwargs)
        day = self.pay_input_day(instance)
        if day is not None:
            self.__dict__.setdefault("_pay_inputs", set()).add(day)

    def after_import(self, dataset, result, **kwargs):
        from .changes import mark_days

        super().after_import(dataset, result, **kwargs)
        days = self.__dict__.pop("_pay_inputs", set())
        if not kwargs.get("dry_run"):  # a preview saves nothing, so nothing changed
            mark_days(days=days)
