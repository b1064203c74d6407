from django.urls import path

from . import views

app_name = "dashboard"
urlpatterns = [
    path("", views.index, name="index"),
    path("area/<str:code>/", views.area, name="area"),
    path("area/<str:code>/figures.xlsx", views.area_export, name="export"),
]
