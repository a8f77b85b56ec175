"""API v1: one router collecting each app's viewsets."""

from rest_framework.routers import DefaultRouter

from events.api import EventViewSet, OrganizationViewSet, SpeakerRequestViewSet
from events.proposals_api import PlanningRunViewSet
from fellows.api import FellowViewSet, TourViewSet
from notifications.api import NotificationViewSet

router = DefaultRouter()
router.register("organizations", OrganizationViewSet, basename="organization")
router.register("requests", SpeakerRequestViewSet, basename="speakerrequest")
router.register("events", EventViewSet, basename="event")
router.register("fellows", FellowViewSet, basename="fellow")
router.register("tours", TourViewSet, basename="tour")
router.register("notifications", NotificationViewSet, basename="notification")
router.register("proposals", PlanningRunViewSet, basename="proposal")

urlpatterns = router.urls
