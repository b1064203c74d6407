"""Residents' and public pages: report, follow, rate, my reports, the problem wall; the grid
worker's field report and the hotline and petition desk (views/intake.py)."""

from django.urls import path

from .views import intake, public, public_similar

urlpatterns = [
    path("report/", public.report, name="report"),
    path("report/done/<int:pk>/", public.report_done, name="report_done"),
    path("report/places/", public.places, name="places"),
    path("report/where/", public.where, name="where"),
    path("report/similar/", public_similar.similar, name="similar"),
    path("report/follow/<int:pk>/", public_similar.follow_existing, name="follow_existing"),
    path("follow/<str:token>/", public.follow, name="follow"),
    path("following/<str:token>/", public_similar.following, name="following"),
    path("mine/", public.mine, name="mine"),
    path("mine/<int:pk>/", public.my_case, name="my_case"),
    path("wall/", public.wall_index, name="wall_index"),
    path("wall/<str:code>/", public.wall, name="wall"),
    path("field/", intake.field_report, name="field_report"),
    path("desk/", intake.desk, name="desk"),
]
