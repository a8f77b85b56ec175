"""Host-facing URLs: the public request form and the private per-request link."""

from django.urls import path

from events import views

app_name = "events"

urlpatterns = [
    path("request/", views.request_speaker, name="request-speaker"),
    path("request/received/", views.request_received, name="request-received"),
    path("r/<str:token>/", views.host_request, name="host-request"),
    path("r/<str:token>/withdraw/", views.host_withdraw, name="host-withdraw"),
    path("r/<str:token>/attendance/", views.host_attendance, name="host-attendance"),
    path("r/<str:token>/proposal/", views.host_answer_proposal, name="host-answer-proposal"),
]
