-- Availability's applied answers are no longer kept in _applied_bodies: they are those of the
-- latest snapshot whose history stands (each leaves the availability history reflecting its
-- answers; see pipeline.warehouse.transform.applied_bodies), read from the request log, so a stock
-- poll writes nothing there. Full snapshots keep the other endpoints' rows.
delete from _applied_bodies where endpoint = 'availability';
