"""Calls run in threads released at once: the races that only PostgreSQL row locks can referee."""

from __future__ import annotations

import threading

from django.db import connection


def race(*calls):
    """Run each zero-argument call in its own thread, all released together.

    Returns (results, errors): the calls' return values in call order (None where a call
    raised) and every exception raised. Each thread closes the database connection it opened.
    """
    barrier = threading.Barrier(len(calls))
    results, errors = [None] * len(calls), []

    def run(i, call):
        try:
            barrier.wait(timeout=10)
            results[i] = call()
        except Exception as exc:  # noqa: BLE001 - every error is surfaced to the test
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, errors
