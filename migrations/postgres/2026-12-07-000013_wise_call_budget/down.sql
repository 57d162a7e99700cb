DROP TABLE wise_call_pause;
DROP TABLE wise_call_buckets;
