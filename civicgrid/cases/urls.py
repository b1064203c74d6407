from django.urls import include, path

app_name = "cases"
# Residents' and public pages (report, follow, rate, problem wall) and staff pages (queues, case
# page, actions, search) live in separate URL modules so each stays small.
urlpatterns = [
    path("", include("civicgrid.cases.urls_public")),
    path("", include("civicgrid.cases.urls_staff")),
]
