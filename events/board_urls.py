"""URLs of the staff tour board, mounted at /staff/ (fellows' /staff/feed/ sits beside them)."""

from django.urls import path

from common.sign_in import SignOutView, StaffLoginView
from events import board_views as views

app_name = "board"

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", StaffLoginView.as_view(), name="login"),
    path("logout/", SignOutView.as_view(), name="logout"),
    path("tours/new/", views.tour_create, name="tour-create"),
    path("tours/<int:tour_id>/", views.tour_detail, name="tour"),
    path("tours/<int:tour_id>/edit/", views.tour_edit, name="tour-edit"),
    path("tours/<int:tour_id>/propose/", views.tour_propose, name="tour-propose"),
    path("tours/<int:tour_id>/confirm/", views.tour_confirm, name="tour-confirm"),
    path("proposals/<int:run_id>/progress/", views.run_progress, name="run-progress"),
    path("proposals/<int:run_id>/accept/", views.run_accept, name="run-accept"),
    path("events/<int:event_id>/", views.event_detail, name="event"),
    path("events/<int:event_id>/reschedule/", views.event_reschedule, name="event-reschedule"),
    path("events/<int:event_id>/cancel/", views.event_cancel, name="event-cancel"),
    path("events/<int:event_id>/lock/", views.event_lock, name="event-lock"),
    path("requests/", views.request_queue, name="requests"),
    path("requests/bulk/", views.request_bulk, name="requests-bulk"),
    path("requests/<int:request_id>/", views.request_detail, name="request"),
    path("requests/<int:request_id>/status/", views.request_status, name="request-status"),
    path("requests/<int:request_id>/decline/", views.request_decline, name="request-decline"),
    path("requests/<int:request_id>/book/", views.request_book, name="request-book"),
    path("fellows/", views.fellow_list, name="fellows"),
    path("fellows/new/", views.fellow_create, name="fellow-create"),
    path("fellows/<int:fellow_id>/", views.fellow_detail, name="fellow"),
    path(
        "fellows/<int:fellow_id>/unavailability/",
        views.fellow_unavailability_add,
        name="fellow-unavailability",
    ),
    path(
        "fellows/<int:fellow_id>/unavailability/<int:unavailability_id>/remove/",
        views.fellow_unavailability_remove,
        name="fellow-unavailability-remove",
    ),
    path("outbox/", views.outbox, name="outbox"),
    path("outbox/<int:notification_id>/retry/", views.outbox_retry, name="outbox-retry"),
    path("impact/", views.impact, name="impact"),
    path("exports/<str:kind>.csv", views.export, name="export"),
]
