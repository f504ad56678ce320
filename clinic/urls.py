from django.contrib import admin
from django.urls import include, path

from . import views

handler403 = "clinic.views.error_403"
handler404 = "clinic.views.error_404"
handler500 = "clinic.views.error_500"

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/login/", views.staff_login, name="login"),
    path("accounts/two-factor/", views.two_factor, name="two_factor"),
    path("accounts/logout/", views.staff_logout, name="logout"),
    path("location/", views.location_pick, name="location_pick"),
    path("healthz", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("", include("intake.urls")),
    path("", include("treatments.urls")),
    path("", include("followups.urls")),
]
