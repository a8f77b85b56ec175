"""Admin for fellows, tours, unavailability and itinerary items."""

from django.contrib import admin

from fellows.models import Fellow, ItineraryItem, Tour, TourMember, Unavailability


class UnavailabilityInline(admin.TabularInline):
    model = Unavailability
    extra = 0


@admin.register(Fellow)
class FellowAdmin(admin.ModelAdmin):
    list_display = ["display_name", "home_base", "preferred_language", "active"]
    list_filter = ["active", "preferred_language"]
    search_fields = ["display_name", "legal_name", "email"]
    readonly_fields = ["feed_token_hash", "feed_token_created_at", "feed_last_used_at"]
    inlines = [UnavailabilityInline]


class TourMemberInline(admin.TabularInline):
    model = TourMember
    extra = 0
    autocomplete_fields = ["fellow"]


@admin.register(Tour)
class TourAdmin(admin.ModelAdmin):
    list_display = ["name", "start_date", "end_date", "region", "status"]
    list_filter = ["status", "region"]
    search_fields = ["name", "region"]
    readonly_fields = ["feed_token_hash"]
    inlines = [TourMemberInline]


@admin.register(TourMember)
class TourMemberAdmin(admin.ModelAdmin):
    list_display = ["tour", "role", "fellow", "staff", "team"]
    list_filter = ["role", "tour"]


@admin.register(Unavailability)
class UnavailabilityAdmin(admin.ModelAdmin):
    list_display = ["fellow", "starts_at", "ends_at"]
    list_filter = ["fellow"]
    search_fields = ["fellow__display_name"]


@admin.register(ItineraryItem)
class ItineraryItemAdmin(admin.ModelAdmin):
    list_display = ["title", "tour", "kind", "starts_at", "ends_at", "source"]
    list_filter = ["kind", "source", "tour"]
    search_fields = ["title", "from_location", "to_location"]
    readonly_fields = ["ical_uid", "sequence"]
    filter_horizontal = ["fellows"]
