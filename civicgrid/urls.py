from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from civicgrid.core import views as core_views

admin.site.site_header = "civicgrid 网格化基层治理"
admin.site.site_title = "civicgrid"

urlpatterns = [
    path("", core_views.home, name="home"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("healthz", core_views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("areas/", include("civicgrid.areas.urls")),
    path("people/", include("civicgrid.people.urls")),
    path("party/", include("civicgrid.party.urls")),
    path("cases/", include("civicgrid.cases.urls")),
    path("", include("civicgrid.fieldwork.urls")),
    path("dashboard/", include("civicgrid.dashboard.urls")),
    path("api/", include("civicgrid.api.urls")),
    path("open311/", include("civicgrid.open311.urls")),
]
