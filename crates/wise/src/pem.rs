//! PEM files of certificates, read for TLS: the simulator's server and client CA, and the audit
//! stream's collector CA and client chain.

use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;
use std::io;
use std::path::Path;

/// Every certificate in the PEM file at `path`; an error naming the file when it cannot be read,
/// is not PEM certificates, or holds none.
pub fn certificates(path: &Path) -> io::Result<Vec<CertificateDer<'static>>> {
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(|e| io::Error::other(format!("cannot read {}: {e}", path.display())))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| {
            io::Error::other(format!("{} is not PEM certificates: {e}", path.display()))
        })?;
    if certs.is_empty() {
        return Err(io::Error::other(format!(
            "{} holds no certificate",
            path.display()
        )));
    }
    Ok(certs)
}
