"""URLs of the private feeds, day sheets and the fellow's own page (namespace `fellows`)."""

from django.urls import path

from events import fellow_views as views

app_name = "fellows"

urlpatterns = [
    path("feeds/fellow/<str:token>.ics", views.feed, {"kind": "fellow"}, name="fellow-feed"),
    path("feeds/tour/<str:token>.ics", views.feed, {"kind": "tour"}, name="tour-feed"),
    path("feeds/staff/<str:token>.ics", views.feed, {"kind": "staff"}, name="staff-feed"),
    path(
        "feeds/fellow/<str:token>/day-sheets/",
        views.token_day_sheets,
        name="token-day-sheets",
    ),
    path("me/login/", views.FellowLoginView.as_view(), name="login"),
    path("me/logout/", views.FellowSignOutView.as_view(), name="logout"),
    path("me/", views.my_page, name="me"),
    path("me/day-sheets/", views.my_day_sheets, name="my-day-sheets"),
    path("me/language/", views.my_language, name="my-language"),
    path("me/feed/rotate/", views.my_feed_rotate, name="my-feed-rotate"),
    path("staff/feed/", views.staff_feed, name="staff-feed-page"),
]
