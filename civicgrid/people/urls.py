from django.urls import path

from . import views

app_name = "people"
urlpatterns = [
    path("households/<int:pk>/", views.household, name="household"),
    path("households/<int:pk>/unmask/", views.unmask, name="unmask"),
    path("access-log/", views.access_log, name="access_log"),
]
