from django.urls import path

from . import analysis_views, views

# No research URL takes a client id except the worker's client page and the client's own portal page; the
# researcher's pages (studies, a study, its export) take only a study id.
urlpatterns = [
    path("clients/<int:client_id>/research/", views.client_research, name="client_research"),
    path("my/<int:client_id>/research/", views.portal_research, name="portal_research"),
    path("research/studies/", views.studies, name="research_studies"),
    path("research/studies/new/", views.study_create, name="research_study_create"),
    path("research/studies/<int:study_id>/", views.study_detail, name="research_study"),
    path("research/studies/<int:study_id>/final/", views.study_final, name="research_study_final"),
    path("research/studies/<int:study_id>/close/", views.study_close, name="research_study_close"),
    path("research/studies/<int:study_id>/export.zip", views.study_export, name="research_export"),
    path("research/studies/<int:study_id>/analysis/", analysis_views.study_analysis, name="research_analysis"),
    path("research/studies/<int:study_id>/analysis.pdf", analysis_views.study_analysis_pdf, name="research_analysis_pdf"),
    path("research/studies/<int:study_id>/monitoring/", analysis_views.study_monitoring, name="research_study_monitoring"),
    path("research/monitoring/", analysis_views.organiser_monitoring, name="research_monitoring"),
    path("research/service-use/", views.service_use, name="research_service_use"),
    path("research/service-use/<int:file_id>/", views.service_use_file, name="research_service_use_file"),
]
