//! The command line: `wiselink [serve|migrate|demo|sim|keys …|audit …|api-key …|staff …]`.

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

/// Where `serve` and `migrate` say their configuration comes from.
macro_rules! config_layers {
    () => {
        "Configuration, later layers win: config/default.toml (built in) → \
        config/$WISELINK_ENV.toml (WISELINK_ENV defaults to local; the folder is \
        WISELINK_CONFIG_DIR, default ./config), or the file given with --config → \
        WISELINK__SECTION__KEY environment variables (e.g. WISELINK__SERVER__PORT=9000). \
        docs/configuration.md lists every key."
    };
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP service (the default command).
    #[command(long_about = concat!(
        "Run the HTTP service (the default command): the partner API (/v1), the customer's pages \
        (/link, /oauth), the staff review screen (/staff), /healthz, /readyz and /metrics, and the \
        workers that send email, refresh Wise tokens and recover interrupted links. Applies pending \
        migrations first when database.migrate_on_start is true. Stops on SIGINT/SIGTERM after \
        letting requests in flight finish (server.shutdown_timeout_secs).\n\n",
        config_layers!()
    ))]
    Serve(ServeArgs),
    /// Apply pending database migrations and exit.
    #[command(long_about = concat!(
        "Apply pending database migrations to database.url and exit, printing each one applied \
        (or that the database is up to date). Safe to run while older instances still serve: \
        every migration is additive until a release notes otherwise.\n\n",
        config_layers!()
    ))]
    Migrate(ConfigArg),
    /// Try the whole product in a browser: wiselink, a simulated Wise, sample customers.
    #[command(
        long_about = "Try the whole product in a browser, with nothing to set up: wiselink \
        on a fresh SQLite file in --dir (recreated on each start), the Wise simulator in the same \
        process, a generated encryption key, the dev mail transport (emails kept at /dev/mailbox, \
        beside the simulated Wise's), a demo API key, two staff logins (reviewer and admin) and \
        four sample customers. Prints the URLs and a walkthrough; Ctrl-C stops it.\n\n\
        Reads the same configuration as serve, and refuses to start with a PostgreSQL \
        database.url, a Wise URL that is not on this machine, a server.host other than a \
        loopback address, or WISELINK_ENV=production."
    )]
    Demo(DemoArgs),
    /// Run the Wise simulator alone (the endpoints wiselink uses, plus the /__sim control API).
    #[command(
        long_about = "Run the Wise simulator alone: the Wise endpoints wiselink uses, its \
        login and consent page, a mailbox, and the /__sim control API (docs/simulator.md). It \
        registers one API client from wise.client_id, wise.client_secret and wise.redirect_uri, \
        so `sim` and `serve` started with the same configuration work together. Listens on \
        simulator.host:simulator.port unless --port is given."
    )]
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
        /// Enforce Wise's request limits (100 per second, 1,000 per minute): past them, 429 with
        /// Retry-After. Off by default; `/__sim/rate-limits` changes them while it runs.
        #[arg(long)]
        wise_rate_limits: bool,
    },
    /// Import the links the partner already holds, from JSON Lines or CSV (docs/import.md).
    #[command(
        long_about = "Import the links the partner already holds, from a JSON Lines file (one \
        object per line) or a CSV file with a header line; `-` reads standard input. Each row \
        names the customer (customer_ref, email, date_of_birth, first_name, last_name, language) \
        and what the partner holds (wise_user_id, wise_profile_id, refresh_token, and optionally \
        registration_code and signup_email). Each row is proven before it counts: a refresh at \
        Wise, within the Wise call budget, then the identity check of a fresh link. Running the \
        same file again changes nothing; a run cut off anywhere is finished by the next one.\n\n\
        Progress goes to standard error (a bar on a terminal, lines otherwise); each failed row, \
        and the summary ending in `imported N, unchanged N, failed N`, to standard output. Exits \
        1 when any row failed, 2 when the input could not be read at all."
    )]
    Import(ImportArgs),
    /// Manage the keys that seal secrets at rest.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Prove the audit trail: walk its chain and check every row's seal.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Manage the API keys the partner's backend authenticates with.
    #[command(subcommand)]
    ApiKey(ApiKeyCommand),
    /// Manage the support staff who use the review screen (/staff).
    #[command(subcommand)]
    Staff(StaffCommand),
    /// Wise's application webhooks: subscribe wiselink to the account events it acts on.
    #[command(subcommand)]
    Wise(WiseCommand),
}

#[derive(Debug, Subcommand)]
pub enum WiseCommand {
    /// Subscribe `server.public_url`/wise/webhooks to users#state-change and
    /// profiles#verification-state-change (with the client-credentials token). Subscriptions
    /// already in place for that URL are kept, so running it twice changes nothing.
    Subscribe {
        /// Deliver to this URL in place of `server.public_url`/wise/webhooks.
        #[arg(long)]
        url: Option<String>,
    },
    /// List the application's subscriptions at Wise.
    Subscriptions,
    /// Delete one subscription by id.
    Unsubscribe { id: String },
}

/// `--config FILE`: read this TOML file in place of config/$WISELINK_ENV.toml.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ConfigArg {
    /// A TOML file read in place of config/$WISELINK_ENV.toml; it must exist.
    #[arg(long, value_name = "FILE")]
    pub config: Option<std::path::PathBuf>,
}

#[derive(Debug, Clone, clap::Args)]
pub struct ImportArgs {
    /// The file to import: JSON Lines, or CSV with a header line; `-` for standard input.
    pub file: std::path::PathBuf,
    /// Rows proven at once.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub concurrency: u16,
    /// Also write every row's outcome to this file, one JSON object per line (the lines
    /// POST /v1/links/import answers with).
    #[arg(long, value_name = "FILE")]
    pub report: Option<std::path::PathBuf>,
}

#[derive(Debug, Clone, Default, clap::Args)]
pub struct ServeArgs {
    /// Port to listen on, in place of server.port.
    #[arg(long)]
    pub port: Option<u16>,
    #[command(flatten)]
    pub config: ConfigArg,
}

#[derive(Debug, Clone, clap::Args)]
pub struct DemoArgs {
    /// Port for wiselink (pages, API, mailbox).
    #[arg(long, default_value_t = 8080)]
    pub port: u16,
    /// Port for the simulated Wise.
    #[arg(long, default_value_t = 8081)]
    pub sim_port: u16,
    /// Folder for the demo's SQLite file, which each start replaces.
    #[arg(long, default_value = "data/demo", value_name = "DIR")]
    pub dir: std::path::PathBuf,
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
        /// A test key (`wl_test_…`): works only while wise.api_url is the simulator, and may
        /// pull the test triggers (docs/testing-your-integration.md).
        #[arg(long)]
        test: bool,
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
pub enum AuditCommand {
    /// Walk the audit chain from its first entry and check every row of the link events and the
    /// staff audit against it and against its seal. Exits 0 when the trail holds; otherwise
    /// exits 1 naming the first entry that was changed, removed or inserted (on stderr). Reads
    /// only: safe while the service runs.
    Verify {
        /// An earlier export kept outside the database: the chain must still hold its signed
        /// checkpoints, so entries rewritten or cut from the chain's end since then are named.
        /// Repeat for several.
        #[arg(long, value_name = "EXPORT")]
        against: Vec<std::path::PathBuf>,
    },
    /// Accept the rows written so far that carry no seal: those an older release wrote during a
    /// rolling upgrade to this one, which `audit verify` names until they are accepted. Records
    /// the acceptance, with the bounds, as a sealed row of the staff audit.
    AcceptUnsealed,
    /// Write the audit chain from a date on: each entry with its row's fields and seal, then the
    /// signed checkpoints in that stretch. JSON Lines can be checked offline with `audit
    /// check-export`; CSV is for a SIEM. Each export is recorded in the staff audit.
    Export {
        /// The first day (YYYY-MM-DD) or moment (YYYY-MM-DDTHH:MM:SS, UTC) whose sealed entries
        /// to write.
        #[arg(long)]
        since: String,
        #[arg(long, value_enum, default_value_t = ExportFormat::Jsonl)]
        format: ExportFormat,
        /// Write here instead of standard output.
        #[arg(long, value_name = "FILE")]
        output: Option<std::path::PathBuf>,
    },
    /// Check a JSON Lines export with the public keys alone (no database, no configuration):
    /// its stretch of the chain, every row against its entry and seal, every signed checkpoint.
    /// Exits 0 when it holds, 1 naming the first problem.
    CheckExport {
        file: std::path::PathBuf,
        /// A public key as `audit keys` prints it (ID:BASE64); repeat for each key.
        #[arg(long = "public-key", required = true, value_name = "ID:BASE64")]
        public_keys: Vec<String>,
    },
    /// Print the public half of each audit.signing_keys entry (ID:BASE64), which checks seals
    /// without the signing keys.
    Keys,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum ExportFormat {
    Jsonl,
    Csv,
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Re-seal every stored secret under the newest key in crypto.keys. Safe while the service
    /// runs, once every instance has that key in its ring. Progress goes to standard error, the
    /// summary to standard output. Stopped anywhere, it resumes where it was when run again.
    Rotate {
        /// Rows read and re-sealed per batch.
        #[arg(long, default_value_t = 500, value_parser = clap::value_parser!(i64).range(1..=10_000))]
        batch_size: i64,
        /// A pause after each batch, to spare a busy database.
        #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u64).range(0..=60_000))]
        pause_ms: u64,
    },
    /// Print a new random key as a crypto.keys entry. Needs no configuration, unless --hsm.
    Generate {
        /// The new key's id, e.g. the date: 2026-11.
        #[arg(long)]
        id: String,
        /// Wrap it with the HSM's key-encryption key (crypto.hsm.kek_label, made when missing):
        /// the entry is ID:hsm:LABEL:BASE64, and only the HSM can open it.
        #[arg(long)]
        hsm: bool,
    },
    /// Print crypto.keys with every entry wrapped by the HSM's crypto.hsm.kek_label (made when
    /// missing): keys in the clear move into the HSM's custody, and entries wrapped by another
    /// key-encryption key move to this one. The keys themselves, and every sealed value, stay.
    Rewrap,
}
