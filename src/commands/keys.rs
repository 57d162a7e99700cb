//! `wiselink keys …`: make keys, move them into the HSM's custody, re-seal what is stored.

use super::migrated;
use crate::crypto::KeyRing;
use crate::services::keys::{Options, Progress};
use crate::settings::Settings;
use std::io::Write;
use std::time::{Duration, Instant};

/// `wiselink keys rotate`: progress lines on standard error, the summary on standard output.
pub fn rotate(settings: &Settings, options: &Options) -> anyhow::Result<()> {
    let keys = settings.crypto.key_ring()?;
    let db = migrated(settings)?;
    let mut conn = db.get()?;
    let mut printer = Printer::new();
    let done = crate::services::keys::rotate(&mut conn, &keys, options, &mut |p| {
        if let Some(line) = printer.line(p) {
            // A closed standard error does not stop the rotation.
            let _ = writeln!(std::io::stderr(), "{line}");
        }
    })?;
    writeln!(
        std::io::stdout(),
        "examined {} links, {} queued emails, {} stored responses, {} staff TOTP secrets, {} webhook endpoints and {} staff sign-in sessions: re-sealed {} values with key {}, {} already current, {} changed meanwhile",
        done.links,
        done.messages,
        done.responses,
        done.staff,
        done.endpoints,
        done.sessions,
        done.resealed,
        keys.current_key_id(),
        done.already_current,
        done.changed_meanwhile
    )?;
    Ok(())
}

/// Turns progress into lines: when a part begins and ends, and at most once a second between.
struct Printer {
    part_began: Instant,
    last_line: Instant,
}

impl Printer {
    fn new() -> Self {
        let now = Instant::now();
        Self {
            part_began: now,
            last_line: now,
        }
    }

    fn line(&mut self, p: &Progress<'_>) -> Option<String> {
        let now = Instant::now();
        let begins = p.examined == 0 && !p.finished;
        if begins {
            self.part_began = now;
        } else if !p.finished && now.duration_since(self.last_line) < Duration::from_secs(1) {
            return None;
        }
        self.last_line = now;
        Some(progress_line(p, now.duration_since(self.part_began)))
    }
}

/// One progress line, `elapsed` since the part began.
fn progress_line(p: &Progress<'_>, elapsed: Duration) -> String {
    let part = p.part.name();
    if p.finished {
        return format!(
            "keys rotate: {part}: done, {} examined in {}",
            p.examined,
            human(elapsed)
        );
    }
    if p.examined == 0 {
        return format!("keys rotate: {part}: {} to examine", p.total);
    }
    let total = p.total.max(p.examined);
    let percent = p.examined * 100 / total;
    let seconds = elapsed.as_secs_f64().max(0.001);
    let rate = p.examined as f64 / seconds;
    let left = Duration::from_secs_f64((total - p.examined) as f64 / rate);
    format!(
        "keys rotate: {part}: {} of {total} ({percent} %), {rate:.0}/s, about {} left; so far {} re-sealed, {} already current, {} changed meanwhile",
        p.examined,
        human(left),
        p.so_far.resealed,
        p.so_far.already_current,
        p.so_far.changed_meanwhile
    )
}

/// A duration as a person reads it: `0 s`, `42 s`, `7 min`, `2 h 05 min`.
fn human(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        0..60 => format!("{s} s"),
        60..3600 => format!("{} min", s / 60),
        _ => format!("{} h {:02} min", s / 3600, s % 3600 / 60),
    }
}

pub fn generate(id: &str) -> anyhow::Result<()> {
    let entry = KeyRing::generate_entry(id);
    KeyRing::parse(std::slice::from_ref(&entry)).map_err(|p| anyhow::anyhow!(p.join("; ")))?;
    writeln!(std::io::stdout(), "{entry}")?;
    Ok(())
}

/// `wiselink keys generate --hsm`: a new random key, wrapped by the HSM.
pub fn generate_in_hsm(settings: &Settings, id: &str) -> anyhow::Result<()> {
    use base64::Engine;
    let hsm = open_hsm(settings)?;
    let entry = KeyRing::generate_entry(id);
    let key = entry
        .split_once(':')
        .and_then(|(_, b64)| base64::engine::general_purpose::STANDARD.decode(b64).ok())
        .ok_or_else(|| anyhow::anyhow!("a generated key is malformed"))?;
    let wrapped = hsm.wrap(&settings.crypto.hsm.kek_label.clone(), id, &key)?;
    writeln!(std::io::stdout(), "{wrapped}")?;
    Ok(())
}

/// `wiselink keys rewrap`: prints `crypto.keys` with every entry wrapped by `crypto.hsm.kek_label`.
pub fn rewrap(settings: &Settings) -> anyhow::Result<()> {
    use crate::crypto::hsm::WrappedEntry;
    use base64::Engine;
    let hsm = open_hsm(settings)?;
    let label = settings.crypto.hsm.kek_label.clone();
    let mut out = std::io::stdout().lock();
    for entry in &settings.crypto.keys {
        let (id, key) = match WrappedEntry::parse(entry) {
            Some(wrapped) => (wrapped.id, hsm.unwrap(&wrapped)?),
            None => {
                let (id, b64) = entry
                    .split_once(':')
                    .ok_or_else(|| anyhow::anyhow!("a crypto.keys entry is malformed"))?;
                let key = base64::engine::general_purpose::STANDARD
                    .decode(b64.trim())
                    .map_err(|_| anyhow::anyhow!("crypto.keys entry {id:?} is malformed"))?;
                (id, key)
            }
        };
        writeln!(out, "{}", hsm.wrap(&label, id, &key)?)?;
    }
    Ok(())
}

fn open_hsm(settings: &Settings) -> anyhow::Result<crate::crypto::hsm::Hsm> {
    anyhow::ensure!(
        settings.crypto.hsm.enabled(),
        "crypto.hsm.module is not set: there is no HSM to wrap keys with"
    );
    let hsm = crate::crypto::hsm::Hsm::open(&settings.crypto.hsm)?;
    if hsm.ensure_kek(&settings.crypto.hsm.kek_label)? {
        eprintln!(
            "made the key-encryption key {:?} in the HSM",
            settings.crypto.hsm.kek_label
        );
    }
    Ok(hsm)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::services::keys::{Part, Rotation};

    fn at(examined: usize, total: usize, finished: bool, so_far: &Rotation) -> Progress<'_> {
        Progress {
            part: Part::Links,
            examined,
            total,
            finished,
            so_far,
        }
    }

    #[test]
    fn a_line_tells_the_part_how_far_how_fast_and_how_long_is_left() {
        let so_far = Rotation {
            resealed: 480,
            already_current: 20,
            ..Rotation::default()
        };
        assert_eq!(
            progress_line(&at(0, 2000, false, &so_far), Duration::ZERO),
            "keys rotate: links: 2000 to examine"
        );
        assert_eq!(
            progress_line(&at(500, 2000, false, &so_far), Duration::from_secs(5)),
            "keys rotate: links: 500 of 2000 (25 %), 100/s, about 15 s left; so far 480 re-sealed, 20 already current, 0 changed meanwhile"
        );
        // Rows added while the part runs are examined too: never past 100 %.
        assert!(
            progress_line(&at(2100, 2000, false, &so_far), Duration::from_secs(5))
                .contains("2100 of 2100 (100 %)")
        );
        assert_eq!(
            progress_line(&at(2000, 2000, true, &so_far), Duration::from_secs(130)),
            "keys rotate: links: done, 2000 examined in 2 min"
        );
    }

    #[test]
    fn durations_read_as_seconds_minutes_or_hours() {
        assert_eq!(human(Duration::from_millis(900)), "0 s");
        assert_eq!(human(Duration::from_secs(59)), "59 s");
        assert_eq!(human(Duration::from_secs(3599)), "59 min");
        assert_eq!(human(Duration::from_secs(7500)), "2 h 05 min");
    }

    #[test]
    fn between_a_part_beginning_and_ending_a_line_at_most_every_second() {
        let so_far = Rotation::default();
        let mut printer = Printer::new();
        assert!(printer.line(&at(0, 10, false, &so_far)).is_some());
        assert!(printer.line(&at(5, 10, false, &so_far)).is_none());
        printer.last_line -= Duration::from_secs(2);
        assert!(printer.line(&at(6, 10, false, &so_far)).is_some());
        assert!(printer.line(&at(10, 10, true, &so_far)).is_some());
    }
}
