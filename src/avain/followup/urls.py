from django.urls import path

from . import views

urlpatterns = [
    path("follow-up/", views.follow_up_list, name="follow_up_list"),
    path("cases/<int:case_id>/follow-up/", views.case_follow_up, name="case_follow_up"),
    path("cases/<int:case_id>/follow-up/schedule/", views.case_follow_up_schedule, name="case_follow_up_schedule"),
    path("cases/<int:case_id>/follow-up/add/", views.case_follow_up_add, name="case_follow_up_add"),
    path("cases/<int:case_id>/follow-up/move/", views.case_follow_up_move, name="case_follow_up_move"),
    path("cases/<int:case_id>/follow-up/cancel/", views.case_follow_up_cancel, name="case_follow_up_cancel"),
    path("cases/<int:case_id>/follow-up/record/", views.case_follow_up_record, name="case_follow_up_record"),
    path("my/<int:client_id>/meetings/", views.portal_meetings, name="portal_meetings"),
]
