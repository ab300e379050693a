from django.urls import include, path

from . import views

urlpatterns = [
    path("cases/<int:case_id>/decision/", views.case_decision, name="case_decision"),
    path("cases/<int:case_id>/account/", views.case_account, name="case_account"),
    # The client's account page (views.portal_account) is matched first of all, in portal/urls.py.
    path("cases/<int:case_id>/decision.pdf", views.case_decision_pdf, name="case_decision_pdf"),
    path("my/<int:client_id>/decision.pdf", views.portal_decision_pdf, name="portal_decision_pdf"),
    # One module per area of the account, each with its own views module.
    path("", include("avain.accounts.agreement_urls")),
    path("", include("avain.accounts.receipt_urls")),
    path("", include("avain.accounts.import_urls")),
    path("", include("avain.accounts.payment_urls")),
    path("", include("avain.accounts.funding_urls")),
    path("", include("avain.accounts.statement_urls")),
]
