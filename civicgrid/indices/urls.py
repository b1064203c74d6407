from django.urls import path

from . import views

app_name = "indices"
urlpatterns = [
    path("", views.index_list, name="index"),
    path("index/<slug:code>/", views.index_detail, name="detail"),
    path("index/<slug:code>/edit/", views.index_edit, name="edit"),
    path("index/<slug:code>/rollback/", views.index_rollback, name="rollback"),
    path("index/<slug:code>/publish/", views.index_publish, name="publish"),
    path("index/<slug:code>/issue/<int:number>/", views.issue_detail, name="issue"),
    path("index/<slug:code>/issue/<int:number>.xlsx", views.issue_xlsx, name="issue_xlsx"),
    path("index/<slug:code>/issue/<int:number>.pdf", views.issue_pdf, name="issue_pdf"),
    path("colours/<str:code>/", views.colour_map, name="colours"),
    path("admission/", views.admission, name="admission"),
    path("admission/new/", views.admission_new, name="admission_new"),
    path("admission/<int:pk>/", views.admission_detail, name="admission_detail"),
    path("admission/task/<int:pk>/done/", views.task_done, name="task_done"),
]
