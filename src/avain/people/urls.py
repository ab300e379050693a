from django.urls import path

from . import views

urlpatterns = [
    path("clients/", views.client_list, name="client_list"),
    path("clients/new/", views.client_create, name="client_create"),
    path("my/<int:client_id>/access-log/", views.portal_access_log, name="portal_access_log"),
    path("my/<int:client_id>/network/", views.portal_network, name="portal_network"),
]
