"""English display formats: the admin's and Django's own output match common.time_display,
with the zone named (T) wherever a time is shown."""

DATE_FORMAT = "D M j, Y"
TIME_FORMAT = "g:i A T"
DATETIME_FORMAT = "D M j, Y, g:i A T"
SHORT_DATE_FORMAT = "Y-m-d"
SHORT_DATETIME_FORMAT = "Y-m-d g:i A T"
