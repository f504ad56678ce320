"""The app's URLs plus the floor pages (tests/clinic/test_access.py walks clinic.urls only)."""

from django.urls import include, path

# Error handlers are looked up on the root URLconf: keep the app's.
from clinic.urls import handler403, handler404, handler500

from .ceiling import bare, ceiling, signed_in

__all__ = ["handler403", "handler404", "handler500", "urlpatterns"]

urlpatterns = [
    path("bench/bare/", bare, name="bench_bare"),
    path("bench/signed-in/", signed_in, name="bench_signed_in"),
    path("bench/ceiling/", ceiling, name="bench_ceiling"),
    path("", include("clinic.urls")),
]
