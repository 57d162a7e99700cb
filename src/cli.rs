//! The command line: `wiselink [serve|migrate|sim|keys …|api-key …|staff …]`.

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "wiselink",
    version,
    about = "Links a partner's customers to their Wise accounts.",
    long_about = "Links a partner's customers to their Wise accounts.\n\n\
        Configuration: config/default.toml (built in) → config/$WISELINK_ENV.toml → \
        WISELINK__SECTION__KEY environment variables. With no command, runs `serve`."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP service (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Run the Wise simulator alone (the endpoints wiselink uses, plus the /__sim control API).
    Sim {
        /// Port to listen on; defaults to simulator.port.
        #[arg(long)]
        port: Option<u16>,
        /// Serve HTTPS with this PEM certificate (chain), like Wise's API hosts.
        #[arg(long, requires = "tls_key")]
        tls_cert: Option<std::path::PathBuf>,
        /// The PEM (PKCS#8) key of --tls-cert.
        #[arg(long, requires = "tls_cert")]
        tls_key: Option<std::path::PathBuf>,
        /// With HTTPS: require a client certificate signed by this PEM CA, like Wise's mTLS
        /// hosts (api-mtls.…); wiselink then needs wise.mtls_cert and wise.mtls_key.
        #[arg(long, requires = "tls_cert")]
        client_ca: Option<std::path::PathBuf>,
    },
    /// Manage the keys that seal secrets at rest.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Manage the API keys the partner's backend authenticates with.
    #[command(subcommand)]
    ApiKey(ApiKeyCommand),
    /// Manage the support staff who use the review screen (/staff).
    #[command(subcommand)]
    Staff(StaffCommand),
}

#[derive(Debug, Subcommand)]
pub enum StaffCommand {
    /// Add a staff member. The password is read from standard input (one line), never from the
    /// command line: at least 12 characters, and not easy to guess.
    Add {
        username: String,
        /// viewer (reads, personal data masked), reviewer (also decides), admin (also manages
        /// staff and API keys).
        #[arg(long)]
        role: String,
        /// Read the password from standard input (required).
        #[arg(long)]
        password_stdin: bool,
    },
    /// List staff members, their roles and status.
    List,
    /// Disable a staff member: their sessions end at once and they cannot sign in.
    Disable { username: String },
    /// Enable a disabled staff member again.
    Enable { username: String },
    /// Set a new password (read from standard input); every session of the account ends.
    ResetPassword {
        username: String,
        #[arg(long)]
        password_stdin: bool,
    },
    /// Change a staff member's role; every session of the account ends.
    SetRole { username: String, role: String },
    /// The optional TOTP second factor.
    #[command(subcommand)]
    Totp(TotpCommand),
}

#[derive(Debug, Subcommand)]
pub enum TotpCommand {
    /// Give the account a new TOTP secret and print its otpauth:// URI and a QR code to scan
    /// with an authenticator app. Replaces any earlier secret; ends the account's sessions.
    Enroll { username: String },
}

#[derive(Debug, Subcommand)]
pub enum ApiKeyCommand {
    /// Create a key. The key is printed once, as the last line of standard output.
    Create {
        /// A label for the key, e.g. the system that will use it.
        #[arg(long)]
        name: String,
    },
    /// List keys (ids, names, status). Never shows the keys themselves.
    List,
    /// Revoke a key by id; requests using it are refused from then on.
    Revoke {
        /// The key id shown by `create` and `list`.
        id: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Re-seal every stored secret under the newest key in crypto.keys. Safe while the service
    /// runs, once every instance has that key in its ring.
    Rotate,
    /// Print a new random key as a crypto.keys entry. Needs no configuration.
    Generate {
        /// The new key's id, e.g. the date: 2026-11.
        #[arg(long)]
        id: String,
    },
}
