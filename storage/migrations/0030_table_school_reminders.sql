-- When a table school's weekly reminders go out (`import-schools`, the «Напоминания» column), spelt as
-- [schools.schedule.reminders] is: «tue 09:00» (weekday, time in the school's timezone) or «off» (none);
-- NULL: the default (the config school's schedule with the same id, else Monday 10:00).
ALTER TABLE table_schools ADD COLUMN reminders_at TEXT;
