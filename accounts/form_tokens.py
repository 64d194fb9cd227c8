"""One-use tokens for forms whose answer must not repeat on a reload (the API key page).

The key page renders the secret instead of redirecting (the secret is never stored, not even
in the session), so a browser reload would POST the form again. Each rendered form carries a
token kept in the session; the first successful submit uses it up, and a repeat is told so.
"""

from __future__ import annotations

import secrets

SESSION_KEY = "form_tokens"
KEEP = 20  # open forms per session (several tabs); the oldest are forgotten first


def issue(request) -> str:
    token = secrets.token_urlsafe(16)
    request.session[SESSION_KEY] = [*request.session.get(SESSION_KEY, [])[-(KEEP - 1) :], token]
    return token


def is_open(request, token) -> bool:
    return isinstance(token, str) and token in request.session.get(SESSION_KEY, [])


def use(request, token: str) -> None:
    request.session[SESSION_KEY] = [t for t in request.session.get(SESSION_KEY, []) if t != token]
