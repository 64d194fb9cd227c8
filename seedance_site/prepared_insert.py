"""INSERT a new model instance from a statement built once per model: the create's hot path.

`Model.save(force_insert=True)` compiles its INSERT anew for every row. For the 45 columns of
a generation that is about 0.5 M instructions, 6 % of an API create (docs/performance.md).
`insert()` writes the same row with the same values (each field's `pre_save` and
`get_db_prep_save`, as the ORM does), from SQL built once per model and connection vendor.

What it does not do, so it refuses the models that would need it: send pre_save/post_save
signals (a model with receivers is refused) or fetch database-generated values back (the
primary key must be set before the insert, as a generation's is).
"""

from __future__ import annotations

from functools import cache

from django.db import connection
from django.db.models.signals import post_save, pre_save


def insert(instance) -> None:
    """INSERT `instance` as a new row; afterwards it is a saved instance, as after save()."""
    model = type(instance)
    if pre_save.has_listeners(model) or post_save.has_listeners(model):
        raise TypeError(f"{model.__name__} has save signal receivers: use save(), which sends them.")
    if instance.pk is None or model._meta.parents:
        raise TypeError(f"{model.__name__}: insert() needs a primary key set before it and no parent model.")
    sql, fields = _statement(model, connection.vendor)
    params = [field.get_db_prep_save(field.pre_save(instance, True), connection) for field in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
    instance._state.adding = False
    instance._state.db = connection.alias


@cache
def _statement(model, vendor: str) -> tuple[str, list]:
    fields = [f for f in model._meta.local_concrete_fields if not f.generated]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    return f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES ({placeholders})", fields
