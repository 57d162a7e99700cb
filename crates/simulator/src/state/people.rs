//! Wise's users and their profiles. Users are found by id and by email, profiles by user: every
//! lookup is by key, so the simulator answers as fast with a benchmark's many users as with one.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum UserState {
    Active,
    /// 90 days to move money out, then deactivated; the API still answers.
    WithdrawOnly,
    Deactivated,
}

impl UserState {
    pub fn can_use_api(self) -> bool {
        self != Self::Deactivated
    }
}

#[derive(Debug, Clone)]
pub struct User {
    pub id: i64,
    pub email: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub registration_code: Option<String>,
    pub created_by: Option<String>,
    pub reclaimed: bool,
    pub state: UserState,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProfileKind {
    Personal,
    Business,
}

#[derive(Debug, Clone)]
pub struct Profile {
    pub id: i64,
    pub user_id: i64,
    pub kind: ProfileKind,
    pub date_of_birth: Option<NaiveDate>,
    pub business_name: Option<String>,
    pub created_at: DateTime<Utc>,
}

#[derive(Default)]
pub struct People {
    next_id: i64,
    users: HashMap<i64, User>,
    /// Lower-cased email → every user that has held it (at most one of them active).
    users_by_email: HashMap<String, Vec<i64>>,
    profiles: HashMap<i64, Profile>,
    profiles_by_user: HashMap<i64, Vec<i64>>,
}

impl People {
    fn id(&mut self) -> i64 {
        self.next_id += 1;
        // Wise ids are large numbers; keep ours recognisably in that range.
        10_000_000 + self.next_id
    }

    pub fn user(&self, id: i64) -> Option<&User> {
        self.users.get(&id)
    }

    /// A user to change; the email changes only through [`People::set_email`].
    pub fn user_mut(&mut self, id: i64) -> Option<&mut User> {
        self.users.get_mut(&id)
    }

    /// The user with this email who is not deactivated (case-insensitive).
    pub fn user_by_email(&self, email: &str) -> Option<&User> {
        self.users_by_email
            .get(&email.to_ascii_lowercase())?
            .iter()
            .filter_map(|id| self.users.get(id))
            .find(|u| u.state.can_use_api() && u.email.eq_ignore_ascii_case(email))
    }

    /// Gives every personal profile of the user `dob` (what Wise would hold after the customer
    /// corrected it). Returns how many profiles changed.
    pub fn set_date_of_birth(&mut self, user_id: i64, dob: NaiveDate) -> usize {
        let ids = self
            .profiles_by_user
            .get(&user_id)
            .cloned()
            .unwrap_or_default();
        let mut changed = 0;
        for id in ids {
            if let Some(p) = self.profiles.get_mut(&id)
                && p.kind == ProfileKind::Personal
            {
                p.date_of_birth = Some(dob);
                changed += 1;
            }
        }
        changed
    }

    pub fn set_email(&mut self, id: i64, email: String) {
        let Some(user) = self.users.get_mut(&id) else {
            return;
        };
        if let Some(ids) = self
            .users_by_email
            .get_mut(&user.email.to_ascii_lowercase())
        {
            ids.retain(|&other| other != id);
        }
        self.users_by_email
            .entry(email.to_ascii_lowercase())
            .or_default()
            .push(id);
        user.email = email;
    }

    pub fn create_user(&mut self, email: &str) -> i64 {
        let id = self.id();
        self.users_by_email
            .entry(email.to_ascii_lowercase())
            .or_default()
            .push(id);
        self.users.insert(
            id,
            User {
                id,
                email: email.to_owned(),
                first_name: None,
                last_name: None,
                registration_code: None,
                created_by: None,
                reclaimed: false,
                state: UserState::Active,
            },
        );
        id
    }

    pub fn add_profile(
        &mut self,
        user_id: i64,
        kind: ProfileKind,
        date_of_birth: Option<NaiveDate>,
        now: DateTime<Utc>,
    ) -> i64 {
        let id = self.id();
        let business_name = (kind == ProfileKind::Business).then(|| format!("Business {id} Ltd"));
        self.profiles_by_user.entry(user_id).or_default().push(id);
        self.profiles.insert(
            id,
            Profile {
                id,
                user_id,
                kind,
                date_of_birth,
                business_name,
                created_at: now,
            },
        );
        id
    }

    pub fn profiles_of(&self, user_id: i64) -> Vec<&Profile> {
        let mut list: Vec<&Profile> = self
            .profiles_by_user
            .get(&user_id)
            .into_iter()
            .flatten()
            .filter_map(|id| self.profiles.get(id))
            .collect();
        list.sort_by_key(|p| (p.kind == ProfileKind::Business, p.id));
        list
    }

    /// The profile a login grants by default: the personal one, else the first.
    pub fn default_profile(&self, user_id: i64) -> Option<i64> {
        self.profiles_of(user_id).first().map(|p| p.id)
    }

    pub fn profile(&self, id: i64) -> Option<&Profile> {
        self.profiles.get(&id)
    }

    pub fn user_active(&self, user_id: i64) -> bool {
        self.users
            .get(&user_id)
            .is_some_and(|u| u.state.can_use_api())
    }
}
