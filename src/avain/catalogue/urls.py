from django.urls import path

from . import views

urlpatterns = [
    path("price-lists/", views.price_list, name="price_list"),
    path("price-lists/import/", views.price_list_import, name="price_list_import"),
    path("price-lists/import/<int:upload_id>/", views.price_list_import_preview, name="price_list_import_preview"),
    path(
        "price-lists/import/<int:upload_id>/confirm/",
        views.price_list_import_confirm,
        name="price_list_import_confirm",
    ),
]
