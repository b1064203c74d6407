from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.i18n import set_language

from civicgrid.core import views as core_views
from civicgrid.core.access import public_view
from civicgrid.people import home as people_home

admin.site.site_header = "civicgrid 网格化基层治理"
admin.site.site_title = "civicgrid"

urlpatterns = [
    # The machine interfaces first: the resolver tries patterns in order, and these take most of the
    # requests under load (no other pattern starts with their prefixes, so the order changes nothing else).
    path("api/", include("civicgrid.api.urls")),
    path("open311/", include("civicgrid.open311.urls")),
    path("", people_home.home, name="home"),
    path("login/", public_view(auth_views.LoginView.as_view()), name="login"),
    path("logout/", public_view(auth_views.LogoutView.as_view()), name="logout"),
    path("i18n/setlang/", public_view(set_language), name="set_language"),
    path("healthz", core_views.healthz, name="healthz"),
    path("account/", include("civicgrid.accounts.urls")),
    path("admin/", admin.site.urls),
    path("areas/", include("civicgrid.people.area_urls")),
    path("people/", include("civicgrid.people.urls")),
    path("party/", include("civicgrid.party.urls")),
    path("cases/", include("civicgrid.cases.urls")),
    path("mediation/", include("civicgrid.mediation.urls")),
    path("deliberation/", include("civicgrid.deliberation.urls")),
    path("volunteering/", include("civicgrid.volunteering.urls")),
    path("", include("civicgrid.fieldwork.urls")),
    path("triage/", include("civicgrid.triage.urls")),
    path("dashboard/", include("civicgrid.dashboard.urls")),
    path("indices/", include("civicgrid.indices.urls")),
]
