//! Keys in an HSM's custody (SoftHSM2 over PKCS#11, a token made for the test): a `crypto.keys`
//! entry wrapped by the HSM's key-encryption key seals what the service stores; the configuration
//! and the database together open nothing; without the HSM the service does not start; and moving
//! the entries to a new key-encryption key leaves every sealed value as it was.

use crate::helpers::{
    TestDatabase, cli_api_key, free_port, run_cli, serve_command, settings, spawn_sim,
    start_link_at, stop_with_sigterm, wait_until_serving,
};
use crate::mail_sink::MailSink;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use diesel::RunQueryDsl;
use reqwest::Client;
use std::path::{Path, PathBuf};
use std::process::Command;
use wiselink::crypto::{Aad, CryptoError, KeyRing};

mod custody;

const MODULE: &str = "/usr/lib/softhsm/libsofthsm2.so";
pub(super) const PIN: &str = "7354-2281";

/// A SoftHSM2 token of its own: its configuration file and the directory holding it.
pub(super) struct Token {
    _dir: tempfile::TempDir,
    conf: PathBuf,
    pub(super) store: PathBuf,
}

impl Token {
    pub(super) fn new() -> Self {
        assert!(
            Path::new(MODULE).exists(),
            "SoftHSM2 is missing: apt-get install softhsm2 (scripts/test.sh does)"
        );
        let dir = tempfile::tempdir().unwrap();
        let store = dir.path().join("tokens");
        std::fs::create_dir(&store).unwrap();
        let conf = dir.path().join("softhsm2.conf");
        std::fs::write(
            &conf,
            format!(
                "directories.tokendir = {}\nobjectstore.backend = file\nlog.level = ERROR\n",
                store.display()
            ),
        )
        .unwrap();
        let made = Command::new("softhsm2-util")
            .args(["--init-token", "--free", "--label", "wiselink"])
            .args(["--so-pin", "9911-2288", "--pin", PIN])
            .env("SOFTHSM2_CONF", &conf)
            .output()
            .expect("softhsm2-util runs");
        assert!(made.status.success(), "{made:?}");
        Self {
            _dir: dir,
            conf,
            store,
        }
    }

    /// `wiselink keys generate --id h1 --hsm` against this token (its KEK `wiselink-kek` made if
    /// missing): the entry printed, and the standard error.
    pub(super) fn generate(&self, db_url: &str) -> (String, String) {
        let (made, entry, err) = cli(
            &["keys", "generate", "--id", "h1", "--hsm"],
            &self.env(db_url, "", "wiselink-kek"),
        );
        assert!(made, "{err}");
        (entry, err)
    }

    /// The settings that reach this token, for `db_url`, with `keys` as `crypto.keys` (the
    /// default key when empty).
    pub(super) fn env(&self, db_url: &str, keys: &str, kek_label: &str) -> Vec<(String, String)> {
        [
            ("SOFTHSM2_CONF", self.conf.to_str().unwrap()),
            ("WISELINK__DATABASE__URL", db_url),
            ("WISELINK__CRYPTO__HSM__MODULE", MODULE),
            ("WISELINK__CRYPTO__HSM__TOKEN_LABEL", "wiselink"),
            ("WISELINK__CRYPTO__HSM__PIN", PIN),
            ("WISELINK__CRYPTO__HSM__KEK_LABEL", kek_label),
            ("WISELINK__CRYPTO__KEYS", keys),
        ]
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
    }
}

pub(super) fn cli(args: &[&str], env: &[(String, String)]) -> (bool, String, String) {
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let out = run_cli(args, &env, None);
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).trim().to_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[derive(diesel::QueryableByName)]
struct Sealed {
    #[diesel(sql_type = diesel::sql_types::Binary)]
    registration_code: Vec<u8>,
}

/// The registration code of link `id` as stored: sealed.
fn stored_code(db_url: &str, id: &str) -> Vec<u8> {
    let db = wiselink::db::Db::connect(&settings(db_url, &[]).database).unwrap();
    diesel::sql_query(format!(
        "SELECT registration_code FROM links WHERE id = '{id}'"
    ))
    .get_result::<Sealed>(&mut **db.get().unwrap())
    .unwrap()
    .registration_code
}

/// Starts `serve` with `env` and expects it to exit with an error within 10 s; its stderr.
async fn serve_refused(
    db_url: &str,
    sim: &crate::helpers::TestSim,
    sink: &MailSink,
    env: &[(String, String)],
) -> String {
    let mut serve = serve_command(db_url, free_port(), sim, sink);
    serve
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stderr(std::process::Stdio::piped());
    let mut child = serve.spawn().expect("serve runs");
    for _ in 0..100 {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(!status.success());
            let mut err = String::new();
            std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
            return err;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let _ = child.kill();
    panic!("serve started without its HSM");
}

#[tokio::test]
async fn keys_in_an_hsm_seal_what_is_stored_and_the_configuration_with_the_database_opens_nothing()
{
    let token = Token::new();
    let database = TestDatabase::create();
    let db_url = database.url().to_owned();
    let (entry, err) = token.generate(&db_url);
    assert!(entry.starts_with("h1:hsm:wiselink-kek:"), "{entry}");
    assert!(
        err.contains("made the key-encryption key \"wiselink-kek\""),
        "{err}"
    );
    assert!(!err.contains(PIN) && !entry.contains(PIN));
    let env = token.env(&db_url, &entry, "wiselink-kek");

    // The service seals a link's registration code with it.
    let sim = spawn_sim().await;
    let sink = MailSink::start();
    let api_key = cli_api_key(&db_url, "hsm");
    let port = free_port();
    let mut serve = serve_command(&db_url, port, &sim, &sink);
    serve.envs(env.iter().map(|(k, v)| (k, v)));
    let mut child = serve.spawn().expect("serve starts");
    let base = format!("http://127.0.0.1:{port}");
    let client = Client::new();
    wait_until_serving(&client, &base).await;
    let link = start_link_at(&client, &base, &api_key, "hsm-1").await;
    let id = link["id"].as_str().unwrap().to_owned();
    stop_with_sigterm(&mut child).await;
    let sealed = stored_code(&db_url, &id);
    assert_eq!(&sealed[2..4], b"h1", "the value names its data key");

    // The configuration and the database alone: the entry is no key, and no 32 bytes of it open
    // the stored value.
    assert!(KeyRing::parse(std::slice::from_ref(&entry)).is_err());
    let wrapped = STANDARD.decode(entry.rsplit_once(':').unwrap().1).unwrap();
    let aad = Aad {
        table: "links",
        column: "registration_code",
        row: &id,
    };
    for window in wrapped.windows(32) {
        let guess = KeyRing::parse(&[format!("h1:{}", STANDARD.encode(window))]).unwrap();
        assert_eq!(guess.open(&sealed, aad), Err(CryptoError::Forged));
    }

    // Without the HSM (its token gone), nothing starts: no key in the clear to fall back on.
    let away = token.store.with_extension("away");
    std::fs::rename(&token.store, &away).unwrap();
    let err = serve_refused(&db_url, &sim, &sink, &env).await;
    assert!(
        err.contains("cannot open crypto.keys") && err.contains("the HSM cannot be used"),
        "{err}"
    );
    assert!(!err.contains(PIN), "{err}");
    std::fs::rename(&away, &token.store).unwrap();

    // A new key-encryption key: the entry is wrapped again; every sealed value stays as it was
    // and opens with the new entry.
    let (rewrapped, new_entry, err) =
        cli(&["keys", "rewrap"], &token.env(&db_url, &entry, "kek-2027"));
    assert!(rewrapped, "{err}");
    assert!(new_entry.starts_with("h1:hsm:kek-2027:"), "{new_entry}");
    // A key in the clear moves into the HSM's custody the same way.
    let dev_key = "dev:d2lzZWxpbmstZGV2ZWxvcG1lbnQta2V5LTMyYnl0ZXM=";
    let (rewrapped, both, err) = cli(
        &["keys", "rewrap"],
        &token.env(&db_url, &format!("{dev_key},{entry}"), "kek-2027"),
    );
    assert!(rewrapped, "{err}");
    let both: Vec<&str> = both.lines().collect();
    assert!(both[0].starts_with("dev:hsm:kek-2027:"), "{both:?}");
    assert!(!both[0].contains(dev_key.split_once(':').unwrap().1));
    assert!(both[1].starts_with("h1:hsm:kek-2027:"), "{both:?}");
    let (rotated, out, err) = cli(
        &["keys", "rotate"],
        &token.env(&db_url, &new_entry, "kek-2027"),
    );
    assert!(rotated, "{err}");
    assert!(out.contains("re-sealed 0 values with key h1"), "{out}");
    assert!(!out.contains(" 0 already current"), "{out}");
    assert_eq!(stored_code(&db_url, &id), sealed);
}
