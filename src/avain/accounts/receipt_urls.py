from django.urls import path

from . import receipt_views as views

urlpatterns = [
    path("my/<int:client_id>/receipts/new/", views.portal_receipt_new, name="portal_receipt_new"),
    path("my/<int:client_id>/receipts/<int:invoice_id>/file", views.portal_receipt_file, name="portal_receipt_file"),
    path("my/<int:client_id>/invoices/", views.portal_invoices, name="portal_invoices"),
    path("cases/<int:case_id>/receipts/<int:invoice_id>/file", views.case_receipt_file, name="case_receipt_file"),
    path("invoices/approval/", views.invoice_approval, name="invoice_approval"),
]
