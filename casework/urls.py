"""Case pages (included at /cases/ from config/urls.py)."""

from django.urls import path

from . import views

app_name = "cases"
urlpatterns = [
    path("", views.case_list, name="case_list"),
    path("open/", views.case_open, name="case_open"),
    path("<int:pk>/", views.case_detail, name="case_detail"),
    path("<int:pk>/assess/", views.case_assess, name="case_assess"),
    path("<int:pk>/notes/", views.note_add, name="note_add"),
    path("<int:pk>/goals/", views.goal_add, name="goal_add"),
    path("<int:pk>/goals/<int:goal_id>/progress/", views.goal_progress, name="goal_progress"),
    path("<int:pk>/referrals/", views.referral_add, name="referral_add"),
    path(
        "<int:pk>/referrals/<int:referral_id>/status/",
        views.referral_status,
        name="referral_status",
    ),
    path("<int:pk>/follow-ups/", views.follow_up_add, name="follow_up_add"),
    path("<int:pk>/follow-ups/default/", views.follow_ups_default, name="follow_ups_default"),
    path(
        "<int:pk>/follow-ups/<int:follow_up_id>/done/",
        views.follow_up_done,
        name="follow_up_done",
    ),
    path("<int:pk>/close/", views.case_close, name="case_close"),
    path("<int:pk>/reopen/", views.case_reopen, name="case_reopen"),
    path("<int:pk>/assign/", views.case_assign, name="case_assign"),
    path("<int:pk>/restrict/", views.case_restrict, name="case_restrict"),
]
