from django.urls import path

from . import views

app_name = "party"
urlpatterns = [
    path("branches/", views.plan_index, name="plan_index"),
    path("branches/<str:code>/", views.plan, name="plan"),
    path("branches/<str:code>/set-up", views.set_up, name="set_up"),
    path("branches/<str:code>/join", views.join, name="join"),
    path("branches/<str:code>/file", views.file, name="file"),
]
