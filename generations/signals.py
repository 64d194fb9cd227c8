"""Signals the lifecycle sends. Receivers run INSIDE the transaction that changed the row.

`generation_changed(sender=Generation, generation=..., previous_status=...)` is sent by
`services.apply_update` (and every other state change, which goes through it) after the new
state is saved and money is settled, while the row lock is still held. So a receiver can write
rows that must exist if and only if the change commits (an outbox row for a customer webhook, a
mirroring job) with no window where one exists without the other. Receivers must be quick and
must not call the network: enqueue work with `transaction.on_commit` instead. An exception in a
receiver rolls the state change back.
"""

from django.dispatch import Signal

generation_changed = Signal()
