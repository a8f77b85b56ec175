"""Public URLs of the impact app: the attendee survey and the public events listing."""

from django.urls import path

from impact import staff_views, views

app_name = "impact"

urlpatterns = [
    path("s/<str:token>/", views.survey, name="survey"),
    path("s/<str:token>/thanks/", views.survey_thanks, name="survey-thanks"),
    path("s/<str:token>/slide/", views.survey_slide, name="survey-slide"),
    path("events/", views.public_events, name="public-events"),
    path("events.ics", views.public_events_ics, name="public-events-ics"),
    path("events.json", views.public_events_json, name="public-events-json"),
    # Staff pages sit beside the tour board's (/staff/impact/ is the board's season table).
    path("staff/impact/season/", staff_views.season, name="season"),
    path("staff/impact/tours/<int:tour_id>/", staff_views.tour, name="tour"),
    path("staff/impact/events/<int:event_id>/", staff_views.event, name="event"),
    path("staff/impact/events/<int:event_id>/publish/", staff_views.publish, name="event-publish"),
    path(
        "staff/impact/events/<int:event_id>/unpublish/",
        staff_views.unpublish,
        name="event-unpublish",
    ),
    path("staff/impact/contacts.csv", staff_views.contacts_csv, name="contacts-csv"),
    path("staff/impact/figures.csv", staff_views.figures_csv, name="figures-csv"),
]
