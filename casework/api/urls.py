"""Routes of the cases API, under /api/v1/."""

from django.urls import path

from . import views

urlpatterns = [
    path("cases/", views.CaseListCreateApi.as_view(), name="api-case-list"),
    path("cases/<int:case_id>/", views.CaseDetailApi.as_view(), name="api-case-detail"),
    path("cases/<int:case_id>/close/", views.CaseCloseApi.as_view(), name="api-case-close"),
    path("cases/<int:case_id>/reopen/", views.CaseReopenApi.as_view(), name="api-case-reopen"),
    path("cases/<int:case_id>/assign/", views.CaseAssignApi.as_view(), name="api-case-assign"),
    path(
        "cases/<int:case_id>/notes/",
        views.CaseNoteListCreateApi.as_view(),
        name="api-case-notes",
    ),
    path(
        "cases/<int:case_id>/referrals/",
        views.CaseReferralListCreateApi.as_view(),
        name="api-case-referrals",
    ),
    path(
        "cases/<int:case_id>/follow-ups/",
        views.CaseFollowUpListCreateApi.as_view(),
        name="api-case-follow-ups",
    ),
    path(
        "cases/<int:case_id>/goals/",
        views.CaseGoalListCreateApi.as_view(),
        name="api-case-goals",
    ),
    path(
        "referrals/<int:referral_id>/status/",
        views.ReferralStatusApi.as_view(),
        name="api-referral-status",
    ),
    path(
        "follow-ups/<int:follow_up_id>/complete/",
        views.FollowUpCompleteApi.as_view(),
        name="api-follow-up-complete",
    ),
    path(
        "goals/<int:goal_id>/progress/", views.GoalProgressApi.as_view(), name="api-goal-progress"
    ),
]
