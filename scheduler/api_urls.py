"""API v1: one router collecting each app's viewsets."""

from rest_framework.routers import DefaultRouter

from events.api import (
    EventViewSet,
    ExportViewSet,
    OrganizationViewSet,
    SpeakerRequestViewSet,
    TourViewSet,
)
from events.proposals_api import PlanningRunViewSet
from fellows.api import FellowViewSet
from impact.api import PublicListingViewSet
from notifications.api import NotificationViewSet
from scheduler.api_docs import document

router = DefaultRouter()
router.register(
    "organizations", document(OrganizationViewSet, "organization"), basename="organization"
)
router.register(
    "requests", document(SpeakerRequestViewSet, "speakerrequest"), basename="speakerrequest"
)
router.register("events", document(EventViewSet, "event"), basename="event")
router.register("fellows", document(FellowViewSet, "fellow"), basename="fellow")
router.register("tours", document(TourViewSet, "tour"), basename="tour")
router.register(
    "notifications", document(NotificationViewSet, "notification"), basename="notification"
)
router.register("proposals", document(PlanningRunViewSet, "proposal"), basename="proposal")
router.register("exports", document(ExportViewSet, "export"), basename="export")
router.register(
    "public-listings", document(PublicListingViewSet, "publiclisting"), basename="publiclisting"
)

urlpatterns = router.urls
