DROP INDEX links_wise_profile;
DROP INDEX links_wise_user;
ALTER TABLE links DROP COLUMN state_reason;
ALTER TABLE links DROP COLUMN profile_verification;
ALTER TABLE links DROP COLUMN wise_user_deactivates_on;
ALTER TABLE links DROP COLUMN wise_user_state;
DROP TABLE wise_resource_states;
DROP TABLE wise_deliveries;
