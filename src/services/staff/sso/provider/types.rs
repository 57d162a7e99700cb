//! The `openidconnect` types for the bank's provider: the ID token's other claims (where the
//! groups claim is), the revocation endpoint beside the end-session one, and the client.

use openidconnect::core::{
    CoreAuthDisplay, CoreClaimName, CoreClaimType, CoreClientAuthMethod, CoreGenderClaim,
    CoreGrantType, CoreJsonWebKey, CoreJweContentEncryptionAlgorithm,
    CoreJweKeyManagementAlgorithm, CoreJwsSigningAlgorithm, CoreResponseMode, CoreResponseType,
    CoreSubjectIdentifierType,
};
use openidconnect::{
    AdditionalClaims, AdditionalProviderMetadata, EndpointMaybeSet, EndpointNotSet, EndpointSet,
    IdTokenClaims, IdTokenFields, LogoutProviderMetadata, ProviderMetadata, RevocationUrl,
    StandardTokenResponse,
};
use serde::{Deserialize, Serialize};

use super::ProviderError;

/// Every claim of the ID token beyond the standard ones, so the groups claim can be named in the
/// settings.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct OtherClaims {
    #[serde(flatten)]
    claims: serde_json::Map<String, serde_json::Value>,
}

impl AdditionalClaims for OtherClaims {}

impl OtherClaims {
    /// The claim as a list of strings (a single string counts as a list of one).
    pub(super) fn strings(&self, name: &str) -> Vec<String> {
        match self.claims.get(name) {
            Some(serde_json::Value::Array(items)) => items
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect(),
            Some(serde_json::Value::String(one)) => vec![one.clone()],
            _ => Vec::new(),
        }
    }
}

/// The revocation endpoint (RFC 7009), beside the end-session endpoint.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Revocation {
    pub(super) revocation_endpoint: Option<RevocationUrl>,
}

impl AdditionalProviderMetadata for Revocation {}

pub(super) type Metadata = ProviderMetadata<
    LogoutProviderMetadata<Revocation>,
    CoreAuthDisplay,
    CoreClientAuthMethod,
    CoreClaimName,
    CoreClaimType,
    CoreGrantType,
    CoreJweContentEncryptionAlgorithm,
    CoreJweKeyManagementAlgorithm,
    CoreJsonWebKey,
    CoreResponseMode,
    CoreResponseType,
    CoreSubjectIdentifierType,
>;

type Fields = IdTokenFields<
    OtherClaims,
    openidconnect::EmptyExtraTokenFields,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJwsSigningAlgorithm,
>;
pub(super) type Tokens = StandardTokenResponse<Fields, openidconnect::core::CoreTokenType>;
pub(super) type Claims = IdTokenClaims<OtherClaims, CoreGenderClaim>;

/// wiselink's client at the provider, as made from its discovery document.
pub(super) type OidcClient = openidconnect::Client<
    OtherClaims,
    CoreAuthDisplay,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJsonWebKey,
    openidconnect::core::CoreAuthPrompt,
    openidconnect::StandardErrorResponse<openidconnect::core::CoreErrorResponseType>,
    Tokens,
    openidconnect::core::CoreTokenIntrospectionResponse,
    openidconnect::core::CoreRevocableToken,
    openidconnect::core::CoreRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// A grant's failure: the provider's own refusal, or no answer.
pub(super) fn grant_error<E: std::error::Error + 'static>(
    e: openidconnect::RequestTokenError<
        E,
        openidconnect::StandardErrorResponse<openidconnect::core::CoreErrorResponseType>,
    >,
) -> ProviderError {
    match e {
        openidconnect::RequestTokenError::ServerResponse(r) => {
            ProviderError::Refused(r.error().as_ref().to_owned())
        }
        other => ProviderError::Unavailable(error_chain(&other)),
    }
}

pub(super) fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}
