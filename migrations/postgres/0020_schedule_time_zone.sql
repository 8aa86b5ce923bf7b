-- A pack schedule's named time zone (IANA, such as Pacific/Auckland), with
-- daylight saving. Null for schedules written before: they keep their fixed
-- UTC offset.
ALTER TABLE pack_schedules ADD COLUMN time_zone TEXT;
