from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from civicgrid.core.access import public_view

from . import areas_views, auth_views, cases_views, errors, figures_views
from .throttles import DEFAULT_THROTTLES

app_name = "api"
urlpatterns = [
    path(
        "v1/schema/",
        public_view(SpectacularAPIView.as_view(throttle_classes=DEFAULT_THROTTLES)),
        name="schema",
    ),
    # The split view serves Swagger UI's start-up script as a file: the CSP allows no inline script.
    path("v1/docs/", public_view(SpectacularSwaggerSplitView.as_view(url_name="api:schema")), name="docs"),
    path("v1/auth/token/", public_view(auth_views.TokenView.as_view()), name="token"),
    path("v1/areas/", areas_views.AreaList.as_view(), name="area-list"),
    path("v1/areas/<str:code>/", areas_views.AreaDetail.as_view(), name="area-detail"),
    path("v1/departments/", areas_views.DepartmentList.as_view(), name="department-list"),
    path("v1/cases/", cases_views.CaseList.as_view(), name="case-list"),
    path("v1/cases/settle-on-spot/", cases_views.SettleOnSpot.as_view(), name="case-settle-on-spot"),
    path("v1/cases/possible-duplicates/", cases_views.PossibleDuplicates.as_view(), name="case-duplicates"),
    path("v1/cases/<int:pk>/", cases_views.CaseDetail.as_view(), name="case-detail"),
    path("v1/cases/<int:pk>/contact/", cases_views.CaseContact.as_view(), name="case-contact"),
    path("v1/cases/<int:pk>/comments/", cases_views.CaseComments.as_view(), name="case-comments"),
    path("v1/cases/<int:pk>/attachments/", cases_views.CaseAttachments.as_view(), name="case-attachments"),
    *[
        path(f"v1/cases/<int:pk>/{slug}/", view.as_view(), name=f"case-{slug}")
        for slug, view in cases_views.ACTIONS.items()
    ],
    path("v1/figures/", figures_views.FiguresView.as_view(), name="figures"),
    # Anything else under /api/ (a wrong path or an id that is not a number): a JSON 404, not HTML.
    re_path(r"^.*$", errors.not_found, name="not-found"),
]
