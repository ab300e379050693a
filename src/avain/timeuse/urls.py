from django.urls import path

from . import views

urlpatterns = [
    path("my/<int:client_id>/time/", views.portal_time, name="portal_time"),
    path("time/", views.staff_time, name="staff_time"),
    path("time/periods/", views.sampling_periods, name="timeuse_periods"),
    path("time/rates/", views.cost_rates, name="timeuse_rates"),
]
