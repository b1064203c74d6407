from django.urls import path

from . import views

app_name = "deliberation"
urlpatterns = [
    path("", views.index, name="index"),
    path("propose/", views.propose, name="propose"),
    path("c/<str:code>/", views.community_page, name="community"),
    path("t/<int:pk>/", views.topic_public, name="topic_public"),
    path("t/<int:pk>/do/<slug:action>/", views.resident_act, name="resident_act"),
    path("topic/<int:pk>/", views.topic_staff, name="topic"),
    path("topic/<int:pk>/act/<slug:action>/", views.staff_act, name="act"),
    path("meeting/<int:pk>/", views.meeting_page, name="meeting"),
    path("meeting/<int:pk>/act/<slug:action>/", views.meeting_act, name="meeting_act"),
    path("from-cases/", views.from_cases, name="from_cases"),
    path("joint/", views.joint_meetings, name="joint"),
    path("figures/<str:code>/", views.figures, name="figures"),
    path("note-photo/<int:pk>/", views.note_photo, name="note_photo"),
]
