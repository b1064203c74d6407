from django.urls import path

from . import lookup_views, views

app_name = "areas"
urlpatterns = [
    path("", views.browse, name="browse"),
    path("lookup", lookup_views.lookup, name="lookup"),
    path("<str:code>/", views.detail, name="detail"),
]
