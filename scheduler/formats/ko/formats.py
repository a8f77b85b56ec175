"""Korean display formats, matching common.time_display (zone named with T)."""

DATE_FORMAT = "Y년 n월 j일 (D)"
TIME_FORMAT = "A g:i T"
DATETIME_FORMAT = "Y년 n월 j일 (D) A g:i T"
SHORT_DATE_FORMAT = "Y-m-d"
SHORT_DATETIME_FORMAT = "Y-m-d A g:i T"
