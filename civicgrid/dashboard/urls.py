from django.urls import path

from . import command, views

app_name = "dashboard"
urlpatterns = [
    path("", views.index, name="index"),
    path("area/<str:code>/", views.area, name="area"),
    path("area/<str:code>/figures.xlsx", views.area_export, name="export"),
    path("command/", command.command_home, name="command_home"),
    path("command/<str:code>/", command.command, name="command"),
    path("command/<str:code>/live/", command.command_live, name="command_live"),
]
