"""The app's URLs plus the ceiling page (tests/clinic/test_access.py walks clinic.urls only)."""

from django.urls import include, path

# Error handlers are looked up on the root URLconf: keep the app's.
from clinic.urls import handler403, handler404, handler500

from .ceiling import ceiling

__all__ = ["handler403", "handler404", "handler500", "urlpatterns"]

urlpatterns = [
    path("bench/ceiling/", ceiling, name="bench_ceiling"),
    path("", include("clinic.urls")),
]
