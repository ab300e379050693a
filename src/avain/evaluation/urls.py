from django.urls import path

from . import views

urlpatterns = [
    path("my/<int:client_id>/questionnaires/", views.portal_questionnaires, name="portal_questionnaires"),
    path(
        "my/<int:client_id>/questionnaires/<int:measurement_id>/", views.portal_answer, name="portal_questionnaire"
    ),
    path(
        "my/<int:client_id>/questionnaires/<int:measurement_id>/report/",
        views.portal_report,
        name="portal_questionnaire_report",
    ),
    path("cases/<int:case_id>/questionnaires/", views.case_questionnaires, name="case_questionnaires"),
    path("clients/<int:client_id>/questionnaires/", views.client_questionnaires, name="client_questionnaires"),
    path(
        "clients/<int:client_id>/questionnaires/paper/<int:measurement_id>/",
        views.paper_form,
        name="questionnaire_paper_form",
    ),
    path("questionnaires/instruments/", views.instruments, name="evaluation_instruments"),
    path(
        "questionnaires/instruments/<int:instrument_id>/status/",
        views.instrument_status,
        name="evaluation_instrument_status",
    ),
]
