UPDATE links SET spent_code_hash = (
    SELECT s.code_hash FROM spent_codes s WHERE s.link_id = links.id ORDER BY s.spent_at DESC LIMIT 1
);
DROP TABLE spent_codes;
