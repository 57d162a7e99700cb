DROP TABLE audit_stream_cursors;
