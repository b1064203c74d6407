from django.urls import path

from . import views, views_work

app_name = "party"
urlpatterns = [
    path("branches/", views.plan_index, name="plan_index"),
    path("branches/<str:code>/", views.plan, name="plan"),
    path("branches/<str:code>/set-up", views.set_up, name="set_up"),
    path("branches/<str:code>/join", views.join, name="join"),
    path("branches/<str:code>/file", views.file, name="file"),
    # Party members' work: posts 5+X, whistle calls, 双报到, the pioneer star board (views_work.py).
    path("work/", views_work.work_index, name="work"),
    path("orgs/<int:pk>/posts/", views_work.org_posts, name="org_posts"),
    path("orgs/<int:pk>/calls/", views_work.org_calls, name="org_calls"),
    path("orgs/<int:pk>/board/", views_work.board, name="board"),
    path("orgs/<int:pk>/reported-elsewhere/", views_work.reported_elsewhere, name="reported_elsewhere"),
    path("calls/<int:pk>/", views_work.call, name="call"),
    path("communities/<str:code>/registered/", views_work.home_registrations, name="home_registrations"),
]
