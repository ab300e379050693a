from django.urls import path

from . import import_views

urlpatterns = [
    path("provider/invoices/upload/", import_views.upload, name="provider_invoice_upload"),
    path("provider/invoices/example.csv", import_views.example_csv, name="provider_invoice_csv_example"),
    path("provider/imports/", import_views.import_list, name="provider_imports"),
    path("provider/imports/<int:import_id>/", import_views.import_detail, name="provider_import"),
    path("invoices/files/", import_views.staff_files, name="staff_invoice_files"),
    path("invoices/files/<int:import_id>/", import_views.staff_file, name="staff_invoice_file"),
]
