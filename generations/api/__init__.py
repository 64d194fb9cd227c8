"""The customer REST API v1 (DRF), including the Kie-compatible surface.

Its own small app (label "api") so that it owns its tables (idempotency records, Kie task
metadata) and migrations without touching the generations app's.
"""
