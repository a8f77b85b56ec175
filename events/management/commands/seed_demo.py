"""Load demo data: 3 fellows, 2 tours, about 40 speaker requests at real ZIP codes, some events,
a demo staff login (a coordinator, not a superuser) and a demo fellow login for /me/.

Safe to run again: it does nothing when the demo tours exist already. Hosts' windows and the
booked events keep off US public holidays (the `holidays` package) and the days around them
when people are away (Christmas Eve, New Year's Eve, the Friday after Thanksgiving).
"""

from __future__ import annotations

import datetime as dt
import random
from zoneinfo import ZoneInfo

import holidays
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission, User
from django.core.management.base import BaseCommand
from django.db import transaction
from django.db.models import Q

from common.geocoding import locate_zip
from common.tokens import derived_token, hash_token, new_salt
from events import services as event_services
from events.models import Organization, RequestWindow, SpeakerRequest
from events.selectors import HOST_LINK_PURPOSE
from fellows import services as fellow_services
from fellows.models import Fellow, Tour, TourMember
from fellows.services import rotate_feed_token

DEMO_STAFF_USERNAME = "staff"
DEMO_STAFF_PASSWORD = "fellow-tours-demo"  # demo data only; never used outside `make run`
DEMO_FELLOW_USERNAME = "grace"
DEMO_FELLOW_PASSWORD = "fellow-tours-demo"  # demo data only, as above
COORDINATORS_GROUP = "Tour coordinators"
# What a coordinator needs beyond the board (which asks only for is_staff): the admin's pages of
# the scheduling apps, and the fellows' private details they arrange travel with. No deletes,
# no user accounts, no site settings: that stays with an administrator.
COORDINATOR_APPS = ("events", "fellows", "notifications")
COORDINATOR_ACTIONS = ("view", "add", "change")

# (organization, kind, ZIP, state, audience type, expected audience)
DEMO_HOSTS = [
    ("Grace Community Church", "church", "10001", "NY", "congregation", 250),
    ("Columbia University Korean Students", "university", "10027", "NY", "students", 120),
    ("Stuyvesant High School", "high_school", "10282", "NY", "students", 300),
    ("Princeton Theological Seminary", "university", "08540", "NJ", "students", 80),
    ("Philadelphia Korean Presbyterian", "church", "19103", "PA", "congregation", 400),
    ("Penn Human Rights Forum", "university", "19104", "PA", "students", 150),
    ("Johns Hopkins SAIS", "university", "21218", "MD", "students", 90),
    ("Capitol Hill Policy Briefing", "government", "20515", "DC", "policy", 40),
    ("Georgetown University", "university", "20057", "DC", "students", 200),
    ("Annandale Korean Community Center", "community_center", "22003", "VA", "general_public", 180),
    ("Richmond First Baptist", "church", "23220", "VA", "congregation", 220),
    ("Duke Asian Students Association", "university", "27708", "NC", "students", 140),
    ("Charlotte Tech Company", "company", "28202", "NC", "employees", 60),
    ("Atlanta Korean United Methodist", "church", "30303", "GA", "congregation", 500),
    ("Emory University", "university", "30322", "GA", "students", 160),
    ("Boston College", "university", "02467", "MA", "students", 130),
    ("Harvard Kennedy School", "university", "02138", "MA", "policy", 110),
    ("Providence Community Center", "community_center", "02903", "RI", "general_public", 70),
    ("Yale Law School", "university", "06511", "CT", "students", 100),
    ("Hartford High School", "high_school", "06106", "CT", "students", 260),
    ("Chicago Loop Fortune 500", "company", "60601", "IL", "employees", 150),
    ("University of Chicago", "university", "60637", "IL", "students", 180),
    ("Northwestern University", "university", "60208", "IL", "students", 140),
    ("Naperville Central High School", "high_school", "60540", "IL", "students", 350),
    ("Milwaukee Korean Church", "church", "53202", "WI", "congregation", 120),
    ("University of Michigan", "university", "48109", "MI", "students", 220),
    ("Detroit Community Center", "community_center", "48226", "MI", "general_public", 90),
    ("Ohio State University", "university", "43210", "OH", "students", 240),
    ("Cleveland Methodist Church", "church", "44114", "OH", "congregation", 150),
    ("Indianapolis Tech Campus", "company", "46204", "IN", "employees", 80),
    ("Minneapolis Community Center", "community_center", "55401", "MN", "general_public", 110),
    ("Saint Louis University", "university", "63103", "MO", "students", 130),
    ("Los Angeles Koreatown Church", "church", "90010", "CA", "congregation", 600),
    ("UCLA Asian American Studies", "university", "90095", "CA", "students", 210),
    ("Torrance High School", "high_school", "90501", "CA", "students", 280),
    ("San Francisco Tech Company", "company", "94105", "CA", "employees", 120),
    ("Stanford University", "university", "94305", "CA", "students", 190),
    ("Seattle Community Center", "community_center", "98104", "WA", "general_public", 100),
    ("Federal Way Korean Church", "church", "98003", "WA", "congregation", 330),
    ("Portland State University", "university", "97201", "OR", "students", 95),
    ("Dallas Policy Roundtable", "other", "75201", "TX", "policy", 35),
]

DEMO_FELLOWS = [
    ("Joseph", "Seoul-born legal name withheld", "en", "Los Angeles, CA", 34.05, -118.24),
    ("Grace", "", "ko", "New York, NY", 40.71, -74.01),
    ("Daniel", "", "en", "Washington, DC", 38.91, -77.04),
]


def _next_monday(day: dt.date) -> dt.date:
    return day + dt.timedelta(days=(7 - day.weekday()) % 7 or 7)


# Days most hosts are away although no law says so (the package's "unofficial" category also
# holds Groundhog Day and Valentine's Day, which keep no one home).
DAYS_OFF_UNOFFICIAL = {"Christmas Eve", "New Year's Eve"}


def demo_holidays(first: dt.date, last: dt.date) -> dict[dt.date, str]:
    """US public holidays, Christmas Eve, New Year's Eve and the Friday after Thanksgiving."""
    years = range(first.year, last.year + 1)
    days_off = dict(holidays.US(years=years))
    for day, name in holidays.US(years=years, categories=("unofficial",)).items():
        if DAYS_OFF_UNOFFICIAL & {part.strip() for part in name.split(";")}:
            days_off[day] = name
    for day, name in list(days_off.items()):
        if "Thanksgiving" in name:
            days_off[day + dt.timedelta(days=1)] = "Day after Thanksgiving"
    return days_off


def _working_day(day: dt.date, days_off: dict[dt.date, str]) -> dt.date:
    while day in days_off:
        day += dt.timedelta(days=1)
    return day


def _window_end(first: dt.date, days: int, days_off: dict[dt.date, str]) -> dt.date:
    """first + days, cut short before the next day off, so a window never spans a holiday."""
    end = first
    while end < first + dt.timedelta(days=days) and end + dt.timedelta(days=1) not in days_off:
        end += dt.timedelta(days=1)
    return end


def coordinators_group() -> Group:
    group, _ = Group.objects.get_or_create(name=COORDINATORS_GROUP)
    codenames = [
        Q(content_type__app_label=app, codename__startswith=f"{action}_")
        for app in COORDINATOR_APPS
        for action in COORDINATOR_ACTIONS
    ]
    wanted = Q()
    for condition in codenames:
        wanted |= condition
    wanted |= Q(content_type__app_label="fellows", codename="view_private_details")
    group.permissions.set(Permission.objects.filter(wanted))
    return group


class Command(BaseCommand):
    help = (
        "Load demo data (3 fellows, 2 tours, ~40 speaker requests at real US ZIP codes, a few "
        "events) and a demo staff login. Does nothing if the demo data exists already."
    )

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=7, help="Random seed for demo windows.")

    def handle(self, *args, seed: int, **options):
        feed_url_file = settings.VAR_DIR / "demo_feed_url.txt"
        if Tour.objects.filter(name__startswith="Demo ").exists():
            self.stdout.write("Demo data already loaded.")
            if feed_url_file.exists():
                self.stdout.write(f"Demo fellow feed: {feed_url_file.read_text().strip()}")
            self._print_logins()
            return
        with transaction.atomic():
            feed_url = self._load(random.Random(seed))
        feed_url_file.write_text(feed_url + "\n")
        self.stdout.write(self.style.SUCCESS("Demo data loaded."))
        self.stdout.write(f"Demo fellow feed: {feed_url}")
        self._print_logins()

    def _print_logins(self) -> None:
        self.stdout.write(
            f"Demo staff login: {settings.SITE_URL}/staff/login/ "
            f'user "{DEMO_STAFF_USERNAME}", password "{DEMO_STAFF_PASSWORD}"'
        )
        self.stdout.write(
            f"Demo fellow login: {settings.SITE_URL}/me/login/ "
            f'user "{DEMO_FELLOW_USERNAME}", password "{DEMO_FELLOW_PASSWORD}"'
        )

    def _user(self, username: str, password: str, **fields) -> User:
        user, created = get_user_model().objects.get_or_create(username=username, defaults=fields)
        if created:
            user.set_password(password)
            user.save()
        return user

    def _load(self, rng: random.Random) -> str:
        # A coordinator with the permissions the work needs, not a superuser: the demo shows
        # what staff really see (a superuser would see every private field and every action).
        staff = self._user(
            DEMO_STAFF_USERNAME,
            DEMO_STAFF_PASSWORD,
            is_staff=True,
            first_name="Demo",
            last_name="Coordinator",
            email=settings.STAFF_MAILBOX,
        )
        staff.groups.add(coordinators_group())
        fellow_user = self._user(
            DEMO_FELLOW_USERNAME, DEMO_FELLOW_PASSWORD, email="grace@fellows.example.org"
        )

        fellows = []
        for name, legal, language, home, lat, lon in DEMO_FELLOWS:
            fellow, _ = Fellow.objects.get_or_create(
                display_name=name,
                defaults={
                    "legal_name": legal,
                    "preferred_language": language,
                    "languages": "Korean, English",
                    "home_base": home,
                    "home_latitude": lat,
                    "home_longitude": lon,
                    "email": f"{name.lower()}@fellows.example.org",
                    "bio": f"{name} escaped North Korea and now shares their story across the US.",
                },
            )
            fellows.append(fellow)
        Fellow.objects.filter(pk=fellows[1].pk, user__isnull=True).update(user=fellow_user)

        today = dt.date.today()
        east_start = _next_monday(today + dt.timedelta(days=21))
        west_start = east_start + dt.timedelta(days=35)
        days_off = demo_holidays(east_start, west_start + dt.timedelta(days=27))
        east = Tour.objects.create(
            name="Demo East Coast Tour",
            start_date=east_start,
            end_date=east_start + dt.timedelta(days=27),
            region="East Coast",
            # The planner keeps to these states; hosts further south are left out with the
            # reason "outside the tour's region", for staff to widen it if they wish.
            region_states=["NY", "NJ", "PA", "CT", "MA", "RI", "DE", "MD", "DC", "VA", "NC"],
            timezone="America/New_York",
            start_location="New York, NY",
            start_latitude=40.71,
            start_longitude=-74.01,
            rest_weekdays=[6],
            # A touring team's day starts early: a 10 AM talk an hour or two away is reached
            # that morning, not by driving out the day before.
            work_day_start=dt.time(7),
        )
        west = Tour.objects.create(
            name="Demo Midwest Tour",
            start_date=west_start,
            end_date=west_start + dt.timedelta(days=27),
            region="Midwest",
            # A day's drive around Chicago: the West Coast's hosts are left out as "outside
            # the tour's region" (they wait for a West Coast tour) instead of costing flights.
            region_radius_km=700,
            timezone="America/Chicago",
            start_location="Chicago, IL",
            start_latitude=41.88,
            start_longitude=-87.63,
            rest_weekdays=[6],
            work_day_start=dt.time(7),
        )
        TourMember.objects.create(tour=east, fellow=fellows[1], team="A")
        TourMember.objects.create(tour=east, fellow=fellows[2], team="A")
        TourMember.objects.create(tour=east, role=TourMember.Role.ESCORT, staff=staff, team="A")
        TourMember.objects.create(tour=west, fellow=fellows[0], team="A")

        requests = []
        for name, kind, zip_code, state, audience_type, audience in DEMO_HOSTS:
            place = locate_zip(zip_code, state)
            organization = Organization.objects.create(name=name, kind=kind)
            tour = east if place.longitude > -85 else west
            # A working private link, as a request from the form has (events.intake).
            salt = new_salt()
            speaker_request = SpeakerRequest.objects.create(
                host_link_salt=salt,
                host_token_hash=hash_token(derived_token(purpose=HOST_LINK_PURPOSE, salt=salt)),
                organization=organization,
                contact_name=f"{name.split()[0]} Coordinator",
                contact_email=f"host{zip_code}@example.org",
                contact_phone="+1 555 010 0000",
                city=place.city,
                state=place.state,
                zip_code=place.zip_code,
                latitude=place.latitude,
                longitude=place.longitude,
                timezone=place.timezone,
                expected_audience=audience,
                audience_type=audience_type,
                event_length_minutes=rng.choice([45, 60, 90]),
                topics="Life in North Korea, escape, human rights",
                interpretation_needed=rng.random() < 0.3,
                source=SpeakerRequest.Source.WEB,
            )
            first = _working_day(
                tour.start_date + dt.timedelta(days=rng.randrange(0, 20)), days_off
            )
            RequestWindow.objects.create(
                request=speaker_request,
                start_date=first,
                end_date=_window_end(first, rng.choice([0, 2, 6]), days_off),
                earliest_start=dt.time(rng.choice([9, 10, 13, 18])),
                latest_end=dt.time(21),
            )
            requests.append((speaker_request, tour))

        self._preferred_windows_lost(west, fellows[0], [r for r, t in requests if t == west])
        east_requests = [r for r, t in requests if t == east][:6]
        booked = 0
        for speaker_request in east_requests:
            window = speaker_request.windows.first()
            if window is None:
                continue
            zone = ZoneInfo(speaker_request.timezone)
            if window.start_date.weekday() in east.rest_weekdays:
                continue
            # As a coordinator books by hand: not before the team, leaving when its working day
            # starts and driving up to two hours, can arrive the tour's minimum gap ahead.
            earliest = dt.datetime.combine(window.start_date, east.work_day_start) + dt.timedelta(
                minutes=east.min_gap_minutes + 120
            )
            at = max(window.earliest_start, earliest.time())
            start = dt.datetime.combine(window.start_date, at, tzinfo=zone)
            end = start + dt.timedelta(minutes=speaker_request.event_length_minutes)
            try:
                event = event_services.book_event(
                    tour=east,
                    fellows=fellows[1:],
                    starts_at=start,
                    ends_at=end,
                    request=speaker_request,
                    override_reason="",
                )
            except event_services.BookingRefused:
                continue  # demo windows are random; skip the ones that clash
            booked += 1
            if booked <= 2:
                event_services.confirm_event(event=event)

        token = rotate_feed_token(fellow=fellows[1])
        return f"{settings.SITE_URL}/feeds/fellow/{token}.ics"

    @staticmethod
    def _preferred_windows_lost(tour: Tour, fellow: Fellow, requests: list) -> None:
        """Two hosts whose preferred day the tour cannot use, each with a possible day too: one
        prefers the tour's first Sunday (its rest day), one a day the fellow is away. The
        proposal books them on the possible day and says why not on the preferred one."""
        by_name = {r.organization.name: r for r in requests}
        sunday = tour.start_date + dt.timedelta(days=(6 - tour.start_date.weekday()) % 7)
        away = tour.start_date + dt.timedelta(days=2)
        zone = ZoneInfo(tour.timezone)
        fellow_services.add_unavailability(
            fellow=fellow,
            starts_at=dt.datetime.combine(away, dt.time(0), tzinfo=zone),
            ends_at=dt.datetime.combine(away + dt.timedelta(days=1), dt.time(0), tzinfo=zone),
            reason="Family matter (private)",
        )
        for name, preferred_day, possible_day in (
            ("Naperville Central High School", sunday, sunday + dt.timedelta(days=2)),
            ("Milwaukee Korean Church", away, away + dt.timedelta(days=7)),
        ):
            speaker_request = by_name.get(name)
            if speaker_request is None:
                continue
            speaker_request.windows.all().delete()
            for day, preference in (
                (preferred_day, RequestWindow.Preference.PREFERRED),
                (possible_day, RequestWindow.Preference.POSSIBLE),
            ):
                RequestWindow.objects.create(
                    request=speaker_request,
                    start_date=day,
                    end_date=day,
                    earliest_start=dt.time(10),
                    latest_end=dt.time(20),
                    preference=preference,
                )
