from django.urls import path

from . import views

app_name = "fieldwork"
# Included at the site root: the service worker must be served from "/" to control /fieldwork/.
urlpatterns = [
    path("fieldwork-sw.js", views.service_worker, name="service_worker"),
    path("fieldwork/manifest.webmanifest", views.manifest, name="manifest"),
    path("fieldwork/", views.my_day, name="my_day"),
    path("fieldwork/visits/", views.visits, name="visits"),
    path("fieldwork/visits/new/", views.visit_new, name="visit_new"),
    path("fieldwork/visits/<int:pk>/", views.visit_detail, name="visit"),
    path("fieldwork/diary/", views.diary, name="diary"),
    path("fieldwork/diary/new/", views.diary_new, name="diary_new"),
    path("fieldwork/diary/area/<int:pk>/", views.diary_community, name="diary_community"),
    path("fieldwork/patrol/", views.patrol, name="patrol"),
    path("fieldwork/report/", views.report_new, name="report_new"),
    path("fieldwork/errands/", views.errands, name="errands"),
    path("fieldwork/errands/<int:pk>/", views.errand_detail, name="errand"),
    path("fieldwork/progress/<int:pk>/", views.progress, name="progress"),
    path("fieldwork/figures/", views.figures, name="figures"),
]
