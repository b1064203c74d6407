from django.urls import path

from . import views

app_name = "mediation"

urlpatterns = [
    path("", views.index, name="index"),
    path("intake/", views.intake, name="intake"),
    path("from-case/<int:case_pk>/", views.intake, name="from_case"),
    path("d/<int:pk>/", views.dispute_detail, name="dispute"),
    path("d/<int:pk>/parties/", views.reveal, name="reveal"),
    path("d/<int:pk>/act/<slug:action>/", views.act, name="act"),
    path("d/<int:pk>/agreement.pdf", views.agreement_pdf, name="agreement_pdf"),
    path("figures/", views.figures_page, name="figures"),
]
