"""factory_boy factories shared by the whole suite."""

from __future__ import annotations

import datetime as dt

import factory
from django.contrib.auth import get_user_model

from events.models import Organization, RequestWindow, SpeakerRequest
from fellows.models import Fellow, ItineraryItem, Tour, TourMember, Unavailability

# A Monday far enough ahead that every window stays in the future.
TOUR_START = dt.date(2027, 3, 1)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.django.Password("correct-horse-battery")


class StaffFactory(UserFactory):
    is_staff = True
    is_superuser = True


class FellowFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Fellow

    display_name = factory.Sequence(lambda n: f"Fellow {n}")
    legal_name = factory.Sequence(lambda n: f"Private Legal Name {n}")
    email = factory.Sequence(lambda n: f"fellow{n}@private.example.org")
    phone = "+1 555 0100 999"


class TourFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tour

    name = factory.Sequence(lambda n: f"Tour {n}")
    start_date = TOUR_START
    end_date = TOUR_START + dt.timedelta(days=27)
    timezone = "America/New_York"
    start_latitude = 40.71
    start_longitude = -74.01
    max_events_per_day = 2
    min_gap_minutes = 60


class TourMemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TourMember

    tour = factory.SubFactory(TourFactory)
    fellow = factory.SubFactory(FellowFactory)


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Host Organization {n}")
    kind = Organization.Kind.CHURCH


class SpeakerRequestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SpeakerRequest

    organization = factory.SubFactory(OrganizationFactory)
    contact_name = "Host Contact"
    contact_email = factory.Sequence(lambda n: f"host{n}@example.org")
    city = "New York"
    state = "NY"
    zip_code = "10001"
    latitude = 40.7484
    longitude = -73.9967
    timezone = "America/New_York"
    expected_audience = 120
    event_length_minutes = 60


class RequestWindowFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RequestWindow

    request = factory.SubFactory(SpeakerRequestFactory)
    start_date = TOUR_START
    end_date = TOUR_START + dt.timedelta(days=6)
    earliest_start = dt.time(9)
    latest_end = dt.time(21)


class UnavailabilityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Unavailability

    fellow = factory.SubFactory(FellowFactory)
    reason = "Private family matter"


class ItineraryItemFactory(factory.django.DjangoModelFactory):
    """A travel leg by default; pass `fellows=[...]` to put it in those fellows' feeds."""

    class Meta:
        model = ItineraryItem
        skip_postgeneration_save = True

    tour = factory.SubFactory(TourFactory)
    kind = ItineraryItem.Kind.TRAVEL
    title = factory.Sequence(lambda n: f"Drive to stop {n}")
    starts_at = dt.datetime(2027, 3, 2, 14, tzinfo=dt.UTC)
    ends_at = factory.LazyAttribute(lambda i: i.starts_at + dt.timedelta(hours=3))
    timezone = "America/New_York"
    from_location = "New York, NY"
    to_location = "Philadelphia, PA"

    @factory.post_generation
    def fellows(self, create, extracted, **kwargs):
        if create and extracted:
            self.fellows.set(extracted)
