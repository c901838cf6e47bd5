-- Schema 2 -> 3: the file table becomes the source table, for journals as
-- well as file generations, with the columns a reader needs to find its
-- place again (name, mark, cursor) and to report losses (lost_from,
-- lost_until).  Offsets, counters and states are kept as they are.
ALTER TABLE file RENAME TO source;
ALTER TABLE source RENAME COLUMN bytes_lost TO lost;
ALTER TABLE source ADD COLUMN kind TEXT NOT NULL DEFAULT 'file';
ALTER TABLE source ADD COLUMN name TEXT;
ALTER TABLE source ADD COLUMN mark BLOB;
ALTER TABLE source ADD COLUMN cursor TEXT;
ALTER TABLE source ADD COLUMN lost_from INTEGER NOT NULL DEFAULT 0;
ALTER TABLE source ADD COLUMN lost_until INTEGER NOT NULL DEFAULT 0;
ALTER TABLE source ADD COLUMN last_time INTEGER NOT NULL DEFAULT 0;
ALTER TABLE lines_hour RENAME COLUMN file TO source;
