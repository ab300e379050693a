from django.urls import path

from . import payment_views

urlpatterns = [
    path("payments/", payment_views.payments_overview, name="payments"),
    path("payments/batches/new/", payment_views.batch_create, name="payment_batch_create"),
    path("payments/batches/<int:batch_id>/", payment_views.batch_detail, name="payment_batch"),
    path("payments/batches/<int:batch_id>/export/", payment_views.batch_export, name="payment_batch_export"),
    path("payments/batches/<int:batch_id>/cancel/", payment_views.batch_cancel, name="payment_batch_cancel"),
    path("payments/batches/<int:batch_id>/date/", payment_views.batch_date, name="payment_batch_date"),
    path("payments/batches/<int:batch_id>/pain001.xml", payment_views.batch_file, name="payment_batch_file"),
    path("payments/notifications/", payment_views.notifications, name="payment_notifications"),
    path("payments/notifications/<int:import_id>/", payment_views.notification_detail, name="payment_notification"),
    path("payments/payer-account/", payment_views.payer_account, name="payer_account"),
]
