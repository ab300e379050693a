from django.urls import path

from . import statement_views, views

urlpatterns = [
    path("my/<int:client_id>/account/statement.csv", statement_views.portal_statement_csv, name="portal_statement_csv"),
    path("my/<int:client_id>/account/statement.xlsx", statement_views.portal_statement_xlsx, name="portal_statement_xlsx"),
    path("my/<int:client_id>/account/budget/", views.portal_budget_explanation, name="portal_budget_explanation"),
    path("cases/<int:case_id>/account/statement.csv", statement_views.case_statement_csv, name="case_statement_csv"),
    path("cases/<int:case_id>/account/statement.xlsx", statement_views.case_statement_xlsx, name="case_statement_xlsx"),
]
