"""URLs of the area browser under /areas/ (namespace `areas`, as before the browser moved up here).

The grid lookup endpoint belongs to the area tree itself (`civicgrid.areas.lookup`); the browser's
pages need people's scopes, so they live in `people.area_views`.
"""

from django.urls import path

from civicgrid.areas import lookup

from . import area_views

app_name = "areas"
urlpatterns = [
    path("", area_views.browse, name="browse"),
    path("lookup", lookup.lookup_view, name="lookup"),
    path("<str:code>/", area_views.detail, name="detail"),
]
