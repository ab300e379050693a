from django.urls import path

from . import views

urlpatterns = [
    path("my/<int:client_id>/diary/", views.portal_diary, name="portal_diary"),
    path("my/<int:client_id>/feedback/", views.portal_feedback, name="portal_feedback"),
    path("diary/", views.worker_diary, name="worker_diary"),
    path("diary/questions/", views.diary_prompts, name="diary_prompts"),
    path("diary/questions/<int:prompt_id>/", views.diary_prompt_active, name="diary_prompt_active"),
    path("feedback/", views.staff_feedback, name="staff_feedback"),
    path("feedback/<int:feedback_id>/", views.staff_feedback_item, name="staff_feedback_item"),
]
