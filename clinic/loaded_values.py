"""What a row held when it was read, for a ``save`` that acts only when a field changed (a
patient's home location, a session's chair, a chair's location: ``intake.PatientLocation``
follows them)."""

from django.db import models

# Not read from the database: a new row, or the field deferred.
UNKNOWN = object()


class RemembersLoadedValues(models.Model):
    """An abstract base: ``loaded_value(name)`` is the field's value when the row was read
    (``UNKNOWN`` for a new row or a deferred field), for each of ``remembered_fields``."""

    remembered_fields: tuple[str, ...] = ()

    class Meta:
        abstract = True

    @classmethod
    def from_db(cls, db, field_names, values):
        row = super().from_db(db, field_names, values)
        stored = row.__dict__
        row._loaded_values = {name: stored.get(name, UNKNOWN) for name in cls.remembered_fields}
        return row

    def loaded_value(self, name: str):
        return getattr(self, "_loaded_values", {}).get(name, UNKNOWN)

    def remember(self, name: str) -> None:
        """After a save: the field's value is the stored one now."""
        self._loaded_values = {**getattr(self, "_loaded_values", {}), name: getattr(self, name)}
