from django.urls import path

from . import agreement_views as views

urlpatterns = [
    path("my/<int:client_id>/agreements/", views.portal_agreements, name="portal_agreements"),
    path("my/<int:client_id>/agreements/new/", views.portal_agreement_new, name="portal_agreement_new"),
    path("my/<int:client_id>/agreements/end/", views.portal_agreement_end, name="portal_agreement_end"),
    path("cases/<int:case_id>/agreements/", views.case_agreements, name="case_agreements"),
    path("cases/<int:case_id>/agreements/new/", views.case_agreement_new, name="case_agreement_new"),
    path("cases/<int:case_id>/agreements/end/", views.case_agreement_end, name="case_agreement_end"),
    path("provider/agreements/", views.provider_agreements, name="provider_agreements"),
    path("provider/invoices/", views.provider_invoice_list, name="provider_invoices"),
    path("provider/invoices/new/", views.provider_invoice_new, name="provider_invoice_new"),
]
