//! A real SMTP server on loopback: Python's `aiosmtpd`, pinned, installed once into a venv
//! under the target directory (as `scripts/fuzz` installs schemathesis), running
//! `tests/fixtures/smtp_sink.py`, which writes each message it receives to a directory.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tokio::process::{Child, Command};

/// The aiosmtpd release the tests run against.
pub const AIOSMTPD_VERSION: &str = "1.4.6";

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"))
}

/// The venv's python, with aiosmtpd installed (once; a lock file keeps parallel tests from
/// installing at the same time).
async fn python() -> PathBuf {
    let venv = target_dir().join("smtp-venv");
    let python = venv.join("bin/python");
    let marker = venv.join(format!("aiosmtpd-{AIOSMTPD_VERSION}"));
    let script = format!(
        "set -e; exec 9>'{lock}'; flock 9; \
         if [ ! -e '{marker}' ]; then python3 -m venv '{venv}'; \
         '{venv}/bin/pip' install --quiet --disable-pip-version-check 'aiosmtpd=={AIOSMTPD_VERSION}'; \
         touch '{marker}'; fi",
        lock = target_dir().join("smtp-venv.lock").display(),
        marker = marker.display(),
        venv = venv.display(),
    );
    let status = Command::new("bash")
        .args(["-c", &script])
        .status()
        .await
        .expect("bash runs");
    assert!(
        status.success(),
        "installing aiosmtpd {AIOSMTPD_VERSION} failed"
    );
    python
}

/// A running SMTP server; it stops when dropped.
pub struct SmtpSink {
    pub port: u16,
    pub output: PathBuf,
    _child: Child,
}

/// A test certificate for 127.0.0.1 (made with `openssl`): its PEM files.
pub struct TestCertificate {
    pub cert: PathBuf,
    pub key: PathBuf,
}

impl TestCertificate {
    pub async fn create(directory: &Path) -> TestCertificate {
        std::fs::create_dir_all(directory).expect("a directory for the certificate");
        let cert = directory.join("cert.pem");
        let key = directory.join("key.pem");
        let status = Command::new("openssl")
            .args([
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            ])
            .args(["-subj", "/CN=127.0.0.1"])
            .args(["-addext", "subjectAltName=IP:127.0.0.1"])
            .args(["-addext", "basicConstraints=critical,CA:FALSE"])
            .args(["-addext", "extendedKeyUsage=serverAuth"])
            .arg("-keyout")
            .arg(&key)
            .arg("-out")
            .arg(&cert)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .await
            .expect("openssl runs");
        assert!(status.success(), "openssl made no certificate");
        TestCertificate { cert, key }
    }
}

impl SmtpSink {
    /// Starts a server writing into a fresh directory; with `tls`, STARTTLS is required.
    pub async fn start(tls: Option<&TestCertificate>) -> SmtpSink {
        let python = python().await;
        let output = target_dir()
            .join("smtp-sink")
            .join(uuid::Uuid::now_v7().to_string());
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free port")
            .port();
        // Other services' tests include this module too, so the script is found from the
        // services folder rather than from the including crate.
        let script =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../onboarding/tests/fixtures/smtp_sink.py");
        let mut command = Command::new(python);
        command
            .arg(script)
            .arg(port.to_string())
            .arg(&output)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .kill_on_drop(true);
        if let Some(certificate) = tls {
            command.arg(&certificate.cert).arg(&certificate.key);
        }
        let child = command.spawn().expect("the SMTP sink starts");
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        while tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_err()
        {
            assert!(
                tokio::time::Instant::now() < deadline,
                "the SMTP sink listens in time"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        SmtpSink {
            port,
            output,
            _child: child,
        }
    }

    /// The decoded subjects of the messages received so far.
    pub fn subjects(&self) -> Vec<String> {
        self.files("subject")
    }

    fn files(&self, extension: &str) -> Vec<String> {
        let Ok(entries) = std::fs::read_dir(&self.output) else {
            return Vec::new();
        };
        entries
            .filter_map(Result::ok)
            .map(|entry| entry.path())
            .filter(|path| path.extension().is_some_and(|found| found == extension))
            .map(|path| std::fs::read_to_string(path).expect("a message file"))
            .collect()
    }

    /// The messages received so far: the raw RFC 5322 text and the decoded plain-text part.
    pub fn messages(&self) -> Vec<(String, String)> {
        let Ok(entries) = std::fs::read_dir(&self.output) else {
            return Vec::new();
        };
        entries
            .filter_map(Result::ok)
            .map(|entry| entry.path())
            .filter(|path| path.extension().is_some_and(|extension| extension == "eml"))
            .map(|path| {
                (
                    std::fs::read_to_string(&path).expect("a message"),
                    std::fs::read_to_string(path.with_extension("txt")).expect("its text"),
                )
            })
            .collect()
    }
}
