//! Sign-on with an OpenID provider (OpenID Connect, authorization code flow with PKCE), e.g.
//! Microsoft Entra ID.
//!
//! The provider is discovered lazily, at the first sign-on, and its metadata (with its keys)
//! kept for an hour: a provider that is down never stops plusmarkt from starting. The HTTP
//! client that talks to the provider follows no redirects (SSRF).
//!
//! Who signs in: the user linked to the ID token's `iss` + `sub`; without a link, the user
//! whose e-mail address is the token's `email`, only when the provider says it is verified
//! (`email_verified`, or Entra's `xms_edov`), and then the link is made. The user must
//! already exist in plusmarkt and be active; role, municipality and provider come from
//! plusmarkt only. Every refusal is recorded as a failed sign-in and leaves no session.

use std::time::{Duration as StdDuration, Instant};

use chrono::{DateTime, Duration, Utc};
use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreIdToken, CoreProviderMetadata};
use openidconnect::{
    AccessTokenHash, AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce,
    OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, RequestTokenError,
    Scope, TokenResponse,
};
use sea_orm::DatabaseConnection;
use serde::{Deserialize, Serialize};

use crate::config::OidcSettings;
use crate::crypto::secret::constant_time_eq;
use crate::error::AppResult;
use crate::services::sessions::{self, SignInMethod};
use crate::store;

/// How long a sign-on may take between leaving for the provider and coming back.
pub const FLOW_MINUTES: i64 = 10;
/// How long discovered metadata (and the provider's keys) is kept.
const METADATA_TTL: StdDuration = StdDuration::from_secs(3600);
/// How long plusmarkt waits for the provider.
const PROVIDER_TIMEOUT: StdDuration = StdDuration::from_secs(10);

/// Sign-on as configured: `None` inside when `PLUSMARKT_OIDC_*` is not set.
pub struct SignOn(Option<Provider>);

/// The provider, its client registration, and the metadata once discovered.
pub struct Provider {
    settings: OidcSettings,
    redirect_uri: RedirectUrl,
    http: openidconnect::reqwest::Client,
    metadata: tokio::sync::Mutex<Option<(Instant, CoreProviderMetadata)>>,
}

/// What the browser carries to the provider and back, in a private cookie: the `state`,
/// the `nonce` and the PKCE verifier, and when the sign-on began.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Flow {
    pub state: String,
    pub nonce: String,
    pub verifier: String,
    pub started: DateTime<Utc>,
}

/// What the provider sent back to the callback.
#[derive(Debug, Default)]
pub struct Callback {
    pub code: Option<String>,
    pub state: Option<String>,
    /// RFC 9207: the issuer that answers, when the provider says.
    pub iss: Option<String>,
    pub error: Option<String>,
    pub error_description: Option<String>,
}

/// Why a sign-on did not sign anyone in. Each is a Dutch page (`message`) with its status;
/// `reason` is the code in the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The provider could not be reached (discovery or the token request).
    Unreachable,
    /// No flow cookie, or one older than ten minutes.
    FlowMissing,
    /// `state` (or `iss`) does not match the flow.
    WrongState,
    /// The provider answered with an error (e.g. the user cancelled).
    ProviderError(String),
    /// The provider refused the code (used before, for another client, or expired).
    CodeRefused,
    /// The ID token failed a check: signature, issuer, audience, expiry, nonce.
    InvalidIdToken(String),
    /// No e-mail address, or one the provider has not verified.
    EmailNotVerified,
    /// No plusmarkt user with that address.
    UnknownUser,
    /// The user is deactivated.
    Inactive,
    /// The user is already linked to another identity at this provider.
    LinkedElsewhere,
}

impl Refusal {
    /// The code recorded in the audit log.
    pub fn reason(&self) -> String {
        match self {
            Refusal::Unreachable => "provider_unreachable".into(),
            Refusal::FlowMissing => "flow_missing".into(),
            Refusal::WrongState => "state_mismatch".into(),
            Refusal::ProviderError(code) => format!("provider_error:{code}"),
            Refusal::CodeRefused => "code_refused".into(),
            Refusal::InvalidIdToken(why) => format!("id_token_invalid:{why}"),
            Refusal::EmailNotVerified => "email_not_verified".into(),
            Refusal::UnknownUser => "unknown_user".into(),
            Refusal::Inactive => "user_inactive".into(),
            Refusal::LinkedElsewhere => "linked_to_other_identity".into(),
        }
    }

    /// The HTTP status of the page.
    pub fn status(&self) -> u16 {
        match self {
            Refusal::Unreachable => 503,
            Refusal::FlowMissing | Refusal::WrongState => 400,
            _ => 401,
        }
    }

    /// What the page says, for someone who only wanted to sign in.
    pub fn message(&self) -> &'static str {
        match self {
            Refusal::Unreachable => {
                "De inlogdienst van uw organisatie is nu niet bereikbaar. Probeer het over een paar \
                 minuten opnieuw. Lukt het dan nog niet, neem dan contact op met de servicedesk."
            }
            Refusal::FlowMissing => {
                "Het inloggen duurde te lang of is al afgerond. Begin opnieuw met inloggen."
            }
            Refusal::WrongState => {
                "Deze inlogpoging hoort niet bij dit venster. Begin opnieuw met inloggen."
            }
            Refusal::ProviderError(_) => {
                "De inlogdienst van uw organisatie heeft het inloggen niet toegestaan of het is \
                 afgebroken. U bent niet ingelogd."
            }
            Refusal::CodeRefused | Refusal::InvalidIdToken(_) => {
                "De inlogdienst van uw organisatie kon uw inlog niet bevestigen. Begin opnieuw \
                 met inloggen."
            }
            Refusal::EmailNotVerified => {
                "Uw organisatie heeft uw e-mailadres niet bevestigd, daarom kan plusmarkt u niet \
                 herkennen. Vraag de beheerder van plusmarkt om hulp."
            }
            Refusal::UnknownUser => {
                "U bent bij uw organisatie ingelogd, maar u heeft nog geen account in plusmarkt. \
                 Vraag de beheerder van plusmarkt om een account voor uw e-mailadres."
            }
            Refusal::Inactive => {
                "Uw account in plusmarkt is uitgeschakeld. Vraag de beheerder van plusmarkt om \
                 het weer aan te zetten."
            }
            Refusal::LinkedElsewhere => {
                "Uw account in plusmarkt is al gekoppeld aan een ander account bij uw \
                 organisatie. Vraag de beheerder van plusmarkt om hulp."
            }
        }
    }

    /// Whether trying again may help (the page then offers "Opnieuw inloggen").
    pub fn retry(&self) -> bool {
        matches!(
            self,
            Refusal::Unreachable
                | Refusal::FlowMissing
                | Refusal::WrongState
                | Refusal::ProviderError(_)
                | Refusal::CodeRefused
                | Refusal::InvalidIdToken(_)
        )
    }
}

/// A sign-on that succeeded: the token of the new session.
pub struct SignedIn {
    pub session_token: String,
    pub email: String,
}

impl SignOn {
    /// Sign-on for these settings (none: switched off). Makes no request.
    pub fn new(settings: Option<&OidcSettings>, public_url: &str) -> SignOn {
        let provider = settings.and_then(|settings| {
            let redirect_uri = RedirectUrl::new(OidcSettings::redirect_uri(public_url)).ok()?;
            let http = openidconnect::reqwest::Client::builder()
                // Following redirects opens the client up to SSRF.
                .redirect(openidconnect::reqwest::redirect::Policy::none())
                .timeout(PROVIDER_TIMEOUT)
                .build()
                .ok()?;
            Some(Provider {
                settings: settings.clone(),
                redirect_uri,
                http,
                metadata: tokio::sync::Mutex::new(None),
            })
        });
        SignOn(provider)
    }

    /// The provider, when sign-on is configured.
    pub fn provider(&self) -> Option<&Provider> {
        self.0.as_ref()
    }

    pub fn is_enabled(&self) -> bool {
        self.0.is_some()
    }
}

impl Provider {
    /// The provider's metadata and keys: discovered at the first call, then kept an hour.
    async fn metadata(&self) -> Result<CoreProviderMetadata, Refusal> {
        let mut cached = self.metadata.lock().await;
        if let Some((at, metadata)) = cached.as_ref() {
            if at.elapsed() < METADATA_TTL {
                return Ok(metadata.clone());
            }
        }
        let issuer = IssuerUrl::new(self.settings.issuer.clone()).map_err(|e| {
            tracing::warn!(error = %e, "PLUSMARKT_OIDC_ISSUER is geen geldig adres");
            Refusal::Unreachable
        })?;
        let metadata = CoreProviderMetadata::discover_async(issuer, &self.http)
            .await
            .map_err(|e| {
                tracing::warn!(
                    issuer = %self.settings.issuer,
                    error = %error_chain(&e),
                    "inlogdienst niet bereikbaar (discovery)"
                );
                Refusal::Unreachable
            })?;
        *cached = Some((Instant::now(), metadata.clone()));
        Ok(metadata)
    }

    async fn client(
        &self,
    ) -> Result<
        openidconnect::Client<
            openidconnect::EmptyAdditionalClaims,
            openidconnect::core::CoreAuthDisplay,
            openidconnect::core::CoreGenderClaim,
            openidconnect::core::CoreJweContentEncryptionAlgorithm,
            openidconnect::core::CoreJsonWebKey,
            openidconnect::core::CoreAuthPrompt,
            openidconnect::StandardErrorResponse<openidconnect::core::CoreErrorResponseType>,
            openidconnect::core::CoreTokenResponse,
            openidconnect::core::CoreTokenIntrospectionResponse,
            openidconnect::core::CoreRevocableToken,
            openidconnect::core::CoreRevocationErrorResponse,
            openidconnect::EndpointSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointMaybeSet,
            openidconnect::EndpointMaybeSet,
        >,
        Refusal,
    > {
        let metadata = self.metadata().await?;
        Ok(CoreClient::from_provider_metadata(
            metadata,
            ClientId::new(self.settings.client_id.clone()),
            Some(ClientSecret::new(self.settings.client_secret.clone())),
        )
        .set_redirect_uri(self.redirect_uri.clone()))
    }

    /// Starts a sign-on: the address at the provider to send the browser to, and the flow
    /// to keep in the browser's cookie until it comes back.
    pub async fn begin(&self, now: DateTime<Utc>) -> Result<(String, Flow), Refusal> {
        let client = self.client().await?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (url, state, nonce) = client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .add_scope(Scope::new("email".into()))
            .set_pkce_challenge(challenge)
            .url();
        Ok((
            url.to_string(),
            Flow {
                state: state.secret().clone(),
                nonce: nonce.secret().clone(),
                verifier: verifier.secret().clone(),
                started: now,
            },
        ))
    }

    /// Finishes a sign-on: checks what came back against the flow, redeems the code, checks
    /// the ID token, finds (and links) the user and opens the session (ending the one of
    /// `replacing`). A refusal is recorded in the audit log and opens nothing.
    pub async fn finish(
        &self,
        db: &DatabaseConnection,
        now: DateTime<Utc>,
        flow: Option<Flow>,
        callback: Callback,
        replacing: Option<&str>,
    ) -> AppResult<Result<SignedIn, Refusal>> {
        let mut email = None;
        let mut amr = Vec::new();
        let outcome = self
            .sign_in(db, now, flow, callback, replacing, &mut email, &mut amr)
            .await?;
        if let Err(refusal) = &outcome {
            tracing::info!(reason = %refusal.reason(), "aanmelding via inlogdienst geweigerd");
            let method = SignInMethod::Oidc {
                issuer: self.settings.issuer.clone(),
                amr,
            };
            sessions::record_failure(db, email.as_deref(), &method, &refusal.reason()).await?;
        }
        Ok(outcome)
    }

    #[allow(clippy::too_many_arguments)]
    async fn sign_in(
        &self,
        db: &DatabaseConnection,
        now: DateTime<Utc>,
        flow: Option<Flow>,
        callback: Callback,
        replacing: Option<&str>,
        email_seen: &mut Option<String>,
        amr_seen: &mut Vec<String>,
    ) -> AppResult<Result<SignedIn, Refusal>> {
        let flow = match flow {
            Some(flow) if now - flow.started <= Duration::minutes(FLOW_MINUTES) => flow,
            _ => return Ok(Err(Refusal::FlowMissing)),
        };
        let state_matches = callback
            .state
            .as_deref()
            .is_some_and(|state| constant_time_eq(state, &flow.state));
        if !state_matches {
            return Ok(Err(Refusal::WrongState));
        }
        if callback
            .iss
            .as_deref()
            .is_some_and(|iss| iss.trim_end_matches('/') != self.settings.issuer)
        {
            return Ok(Err(Refusal::WrongState));
        }
        if let Some(error) = callback.error {
            tracing::info!(
                error = %error,
                description = callback.error_description.as_deref().unwrap_or(""),
                "inlogdienst meldt een fout"
            );
            return Ok(Err(Refusal::ProviderError(error)));
        }
        let Some(code) = callback.code.filter(|c| !c.is_empty()) else {
            return Ok(Err(Refusal::ProviderError("no_code".into())));
        };
        let client = match self.client().await {
            Ok(client) => client,
            Err(refusal) => return Ok(Err(refusal)),
        };
        let Ok(request) = client.exchange_code(AuthorizationCode::new(code)) else {
            tracing::warn!("de inlogdienst noemt geen token endpoint");
            return Ok(Err(Refusal::Unreachable));
        };
        let response = match request
            .set_pkce_verifier(PkceCodeVerifier::new(flow.verifier))
            .request_async(&self.http)
            .await
        {
            Ok(response) => response,
            Err(RequestTokenError::ServerResponse(e)) => {
                tracing::info!(error = %e, "inlogdienst weigert de code");
                return Ok(Err(Refusal::CodeRefused));
            }
            Err(RequestTokenError::Request(e)) => {
                tracing::warn!(error = %error_chain(&e), "inlogdienst niet bereikbaar (token)");
                return Ok(Err(Refusal::Unreachable));
            }
            Err(e) => {
                tracing::warn!(error = %error_chain(&e), "onbruikbaar antwoord van de inlogdienst");
                return Ok(Err(Refusal::CodeRefused));
            }
        };
        let Some(id_token) = response.id_token() else {
            return Ok(Err(Refusal::InvalidIdToken("missing".into())));
        };
        let verifier = client.id_token_verifier().set_time_fn(move || now);
        let claims = match id_token.claims(&verifier, &Nonce::new(flow.nonce)) {
            Ok(claims) => claims,
            Err(e) => {
                tracing::info!(error = %e, "ID-token afgekeurd");
                return Ok(Err(Refusal::InvalidIdToken(claim_error_code(&e))));
            }
        };
        if let Some(expected) = claims.access_token_hash() {
            let actual = id_token.signing_alg().ok().and_then(|alg| {
                let key = id_token.signing_key(&verifier).ok()?;
                AccessTokenHash::from_token(response.access_token(), alg, key).ok()
            });
            if actual.as_ref() != Some(expected) {
                return Ok(Err(Refusal::InvalidIdToken("at_hash".into())));
            }
        }
        let issuer = claims.issuer().as_str().trim_end_matches('/').to_string();
        let subject = claims.subject().as_str().to_string();
        *amr_seen = claims
            .auth_method_refs()
            .map(|refs| refs.iter().map(|r| r.as_str().to_string()).collect())
            .unwrap_or_default();
        let email = claims
            .email()
            .map(|e| e.as_str().trim().to_lowercase())
            .filter(|e| !e.is_empty());
        *email_seen = email.clone();
        let verified = match claims.email_verified() {
            Some(verified) => verified,
            // Entra ID sends no email_verified; its `xms_edov` says the domain owner verified it.
            None => entra_domain_verified(id_token),
        };

        let user = match store::identities::user_of(db, &issuer, &subject).await? {
            Some(user) => {
                if !user.active {
                    return Ok(Err(Refusal::Inactive));
                }
                store::identities::touch(db, &issuer, &subject, now).await?;
                user
            }
            None => {
                let Some(email) = email.filter(|_| verified) else {
                    return Ok(Err(Refusal::EmailNotVerified));
                };
                let Some(user) = store::users::find_by_email(db, &email).await? else {
                    return Ok(Err(Refusal::UnknownUser));
                };
                if !user.active {
                    return Ok(Err(Refusal::Inactive));
                }
                if store::identities::subject_of(db, &user.id, &issuer)
                    .await?
                    .is_some()
                {
                    return Ok(Err(Refusal::LinkedElsewhere));
                }
                if !link(db, &user, &issuer, &subject, now).await? {
                    return Ok(Err(Refusal::LinkedElsewhere));
                }
                user
            }
        };
        let method = SignInMethod::Oidc {
            issuer,
            amr: amr_seen.clone(),
        };
        let session_token = sessions::open(db, now, &user, &method, replacing).await?;
        Ok(Ok(SignedIn {
            session_token,
            email: user.email.clone(),
        }))
    }
}

/// Links a user to the provider's identity and records it (`user.identity_link`). `false`
/// when the identity or the user was linked otherwise meanwhile (two first sign-ons at the
/// same moment: the one that links first wins; the same person's second one signs in too).
async fn link(
    db: &DatabaseConnection,
    user: &crate::entities::user::Model,
    issuer: &str,
    subject: &str,
    now: DateTime<Utc>,
) -> AppResult<bool> {
    let actor = store::users::principal_of(user, None)
        .unwrap_or_else(|| crate::domain::principal::Principal::system("aanmelding"));
    let txn = store::db::begin_write(db).await?;
    if !store::identities::link(&txn, &user.id, issuer, subject, now).await? {
        drop(txn);
        let linked = store::identities::user_of(db, issuer, subject).await?;
        return Ok(linked.is_some_and(|linked| linked.id == user.id));
    }
    store::audit::append(
        &txn,
        &actor,
        "user.identity_link",
        "user",
        &user.id,
        None,
        Some(serde_json::json!({"issuer": issuer, "subject": subject, "email": user.email})),
    )
    .await?;
    txn.commit().await?;
    Ok(true)
}

/// A short code for the audit log of why the ID token failed.
fn claim_error_code(error: &openidconnect::ClaimsVerificationError) -> String {
    use openidconnect::ClaimsVerificationError as E;
    match error {
        E::Expired(_) => "expired",
        E::InvalidAudience(_) => "audience",
        E::InvalidIssuer(_) => "issuer",
        E::InvalidNonce(_) => "nonce",
        E::SignatureVerification(_) => "signature",
        _ => "other",
    }
    .to_string()
}

/// Whether an (already verified) ID token from Entra ID says the e-mail domain's owner
/// verified the address (`xms_edov`, an optional claim).
fn entra_domain_verified(id_token: &CoreIdToken) -> bool {
    use base64::Engine;
    let text = id_token.to_string();
    let Some(payload) = text.split('.').nth(1) else {
        return false;
    };
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()
        .and_then(|bytes| serde_json::from_slice::<serde_json::Value>(&bytes).ok())
        .is_some_and(|claims| match &claims["xms_edov"] {
            serde_json::Value::Bool(b) => *b,
            serde_json::Value::String(s) => s == "true" || s == "1",
            serde_json::Value::Number(n) => n.as_i64() == Some(1),
            _ => false,
        })
}

/// An error with its causes, for the log.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
