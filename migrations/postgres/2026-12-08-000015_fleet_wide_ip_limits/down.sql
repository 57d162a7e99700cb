DROP TABLE ip_limit_windows;
