"""Small helpers every app uses, owned by none of them: secret tokens, the client's address and
the per-client budgets counted on it, local wall-clock times and the text people may type,
iCalendar building, and the API's parser, error answers and viewset pieces.

Nothing here imports a domain app (events, fellows, notifications); the apps import it. The
Django project package (scheduler/) keeps settings, URLs, the Celery app and the health check.
"""
