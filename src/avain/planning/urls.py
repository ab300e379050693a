from django.urls import path

from . import menu_views, views

urlpatterns = [
    path("work/", views.work_queue, name="work_queue"),
    path("clients/<int:client_id>/", views.client_detail, name="client_detail"),
    path("clients/<int:client_id>/open-case/", views.case_open, name="case_open"),
    path("clients/<int:client_id>/decline/", views.client_decline, name="client_decline"),
    path("cases/<int:case_id>/", views.case_needs, name="case_needs"),
    path("cases/<int:case_id>/start-planning/", views.case_start_planning, name="case_start_planning"),
    path("cases/<int:case_id>/close/", views.case_close, name="case_close"),
    path("cases/<int:case_id>/review/", views.case_review, name="case_review"),
    path("cases/<int:case_id>/approval/", views.case_approval, name="case_approval"),
    path("my/<int:client_id>/", views.portal_home, name="portal_home"),
    path("my/<int:client_id>/plan/", views.portal_plan, name="portal_plan"),
    path("my/<int:client_id>/plan/change/", views.portal_plan_change, name="portal_plan_change"),
    path("approval-meeting/", views.approval_meeting, name="approval_meeting"),
    path("approval-rule/", views.approval_rule, name="approval_rule"),
    path("my/<int:client_id>/menu/", menu_views.portal_menu, name="portal_menu"),
    path("my/<int:client_id>/menu/<int:product_id>/", menu_views.portal_menu_product, name="portal_menu_product"),
    path("budget-rules/", views.budget_rules, name="budget_rules"),
    path("budget-rules/<int:rule_id>/end/", views.budget_rule_end, name="budget_rule_end"),
]
