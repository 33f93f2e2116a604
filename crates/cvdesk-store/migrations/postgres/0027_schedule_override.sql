-- The reason a publisher gave to schedule an advisory before an embargo of its reports
-- ends. The scheduled publication goes ahead of an embargo that still holds only with it,
-- so an embargo set or moved after the schedule holds the publication back.
ALTER TABLE advisories ADD COLUMN schedule_override TEXT;
