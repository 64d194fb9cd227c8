"""Customer webhooks: the tenant endpoint, the delivery outbox and log, signing and delivery.

Its own small app (label "webhooks") so it owns its tables and migrations.
"""
