from django.urls import path

from . import funding_views as views

urlpatterns = [
    path("my/<int:client_id>/account/move/", views.portal_move_money, name="portal_move_money"),
    path("my/<int:client_id>/account/closing/", views.portal_closing_statement, name="portal_closing_statement"),
    path("cases/<int:case_id>/account/move/", views.case_move_money, name="case_move_money"),
    path("cases/<int:case_id>/account/overspend/", views.case_overspend, name="case_overspend"),
    path("cases/<int:case_id>/account/closing/", views.case_closing_statement, name="case_closing_statement"),
    path("funding-rule/", views.funding_rule, name="funding_rule"),
]
