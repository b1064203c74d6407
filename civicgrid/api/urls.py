from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from . import areas_views, auth_views
from .throttles import DEFAULT_THROTTLES

app_name = "api"
urlpatterns = [
    path("v1/schema/", SpectacularAPIView.as_view(throttle_classes=DEFAULT_THROTTLES), name="schema"),
    path("v1/docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    path("v1/auth/token/", auth_views.TokenView.as_view(), name="token"),
    path("v1/areas/", areas_views.AreaList.as_view(), name="area-list"),
    path("v1/areas/<str:code>/", areas_views.AreaDetail.as_view(), name="area-detail"),
    path("v1/departments/", areas_views.DepartmentList.as_view(), name="department-list"),
]
