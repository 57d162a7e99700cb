use super::{DateOfBirth, EmailAddress, Language, PersonName};

/// What the partner tells wiselink about one of its customers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerDetails {
    pub email: EmailAddress,
    pub date_of_birth: DateOfBirth,
    pub first_name: PersonName,
    pub last_name: PersonName,
    pub language: Language,
}
