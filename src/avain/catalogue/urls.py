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
    path("providers/register/", views.provider_register_start, name="provider_register_start"),
    path("providers/register/<slug:organiser_code>/", views.provider_register, name="provider_register"),
    path("providers/registrations/", views.provider_registrations, name="provider_registrations"),
    path(
        "providers/registrations/<int:provider_id>/",
        views.provider_registration_decide,
        name="provider_registration_decide",
    ),
    path("provider/products/", views.provider_products, name="provider_products"),
    path("provider/products/new/", views.provider_product, name="provider_product_new"),
    path("provider/products/<int:product_id>/", views.provider_product, name="provider_product"),
    path("areas/", views.areas, name="areas"),
    path("products/review/", views.product_reviews, name="product_reviews"),
    path("products/review/<int:product_id>/", views.product_review, name="product_review"),
]
