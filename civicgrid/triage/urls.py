from django.urls import path

from . import views

app_name = "triage"

urlpatterns = [
    path("", views.index, name="index"),
    path("case/<int:pk>/confirm/", views.confirm, name="confirm"),
    path("models/<int:pk>/activate/", views.activate, name="activate"),
    path("models/rollback/", views.rollback, name="rollback"),
    path("thresholds/", views.thresholds, name="thresholds"),
]
