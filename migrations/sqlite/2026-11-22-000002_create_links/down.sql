DROP TABLE link_events;
DROP TABLE links;
