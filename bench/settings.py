"""Settings gunicorn runs with under `make bench`: production settings plus the ceiling page.

Everything that shapes a request's cost (middleware, Argon2, read auditing, CSP, the manifest
static storage) stays as in production. What plain http needs (no HTTPS redirect, cookies not
marked secure) is switched off through the environment variables clinic.settings already reads,
set by bench/run.py.
"""

from clinic.settings import *  # noqa: F403
from clinic.settings import BASE_DIR, TEMPLATES

ROOT_URLCONF = "bench.urls"
TEMPLATES[0]["DIRS"] = [*TEMPLATES[0]["DIRS"], BASE_DIR / "bench" / "templates"]
