from django.urls import path

from . import views

urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("login/code/", views.second_factor_view, name="login_second_factor"),
    path("login/set-up-app/", views.enrol_view, name="login_enrol"),
    path("logout/", views.logout_view, name="logout"),
]
