//! A minimal SMTP client: one plain-text message per connection, over plain TCP.
//!
//! The bank's relay sits next to the service, so TLS termination and authentication are the
//! relay's job; this client speaks only EHLO (falling back to HELO), MAIL FROM, RCPT TO, DATA
//! and QUIT, and checks every reply code.

use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// How long the whole dialogue with the relay may take.
const DIALOGUE_TIMEOUT: Duration = Duration::from_secs(30);

/// The longest reply line accepted; a relay sending more is not speaking SMTP.
const MAX_REPLY_LINE_BYTES: usize = 4096;

/// Where the relay listens, from a `smtp://host:port` setting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmtpRelay {
    host: String,
    port: u16,
}

/// Why a `smtp_url` setting is not usable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SmtpUrlError {
    #[error("smtp_url must start with smtp:// (TLS is the relay's job)")]
    Scheme,
    #[error("smtp_url must name a host")]
    Host,
    #[error("smtp_url has a port that is not a number from 1 to 65535")]
    Port,
}

impl SmtpRelay {
    /// Parses `smtp://host` or `smtp://host:port` (port 25 when absent).
    pub fn parse(url: &str) -> Result<SmtpRelay, SmtpUrlError> {
        let rest = url.strip_prefix("smtp://").ok_or(SmtpUrlError::Scheme)?;
        let authority = rest.trim_end_matches('/');
        let (host, port) = match authority.rsplit_once(':') {
            Some((host, port)) => (
                host,
                port.parse::<u16>()
                    .ok()
                    .filter(|port| *port != 0)
                    .ok_or(SmtpUrlError::Port)?,
            ),
            None => (authority, 25),
        };
        if host.is_empty() || host.contains('/') {
            return Err(SmtpUrlError::Host);
        }
        Ok(SmtpRelay {
            host: host.to_owned(),
            port,
        })
    }
}

/// One plain-text email.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    pub from: String,
    pub to: String,
    pub subject: String,
    pub body: String,
}

/// Why a message was not handed to the relay.
#[derive(Debug, thiserror::Error)]
pub enum SmtpError {
    #[error("cannot talk to the SMTP relay: {0}")]
    Io(#[from] std::io::Error),
    #[error("the SMTP relay took longer than {0:?}")]
    Timeout(Duration),
    #[error("the SMTP relay refused {command}: {reply}")]
    Refused {
        command: &'static str,
        reply: String,
    },
    #[error("the SMTP relay answered something that is not an SMTP reply: {0}")]
    Garbled(String),
    #[error("an address contains a line break or angle bracket: {0}")]
    BadAddress(String),
}

/// Hands `email` to the relay; success means the relay accepted it (250 after DATA).
pub async fn send(relay: &SmtpRelay, email: &Email) -> Result<(), SmtpError> {
    for address in [&email.from, &email.to] {
        if address.contains(['\r', '\n', '<', '>']) {
            return Err(SmtpError::BadAddress(address.clone()));
        }
    }
    tokio::time::timeout(DIALOGUE_TIMEOUT, dialogue(relay, email))
        .await
        .map_err(|_| SmtpError::Timeout(DIALOGUE_TIMEOUT))?
}

async fn dialogue(relay: &SmtpRelay, email: &Email) -> Result<(), SmtpError> {
    let stream = TcpStream::connect((relay.host.as_str(), relay.port)).await?;
    let (reader, mut writer) = stream.into_split();
    let mut reader = BufReader::new(reader);
    expect(&mut reader, "the greeting", 220).await?;
    writer.write_all(b"EHLO imkon-applications\r\n").await?;
    let (code, reply) = read_reply(&mut reader).await?;
    if code != 250 {
        // An old relay that knows no ESMTP answers 500-series to EHLO; HELO is its greeting.
        writer.write_all(b"HELO imkon-applications\r\n").await?;
        expect(&mut reader, "HELO", 250)
            .await
            .map_err(|error| match error {
                SmtpError::Refused {
                    command,
                    reply: helo,
                } => SmtpError::Refused {
                    command,
                    reply: format!("{helo} (EHLO: {reply})"),
                },
                other => other,
            })?;
    }
    writer
        .write_all(format!("MAIL FROM:<{}>\r\n", email.from).as_bytes())
        .await?;
    expect(&mut reader, "MAIL FROM", 250).await?;
    writer
        .write_all(format!("RCPT TO:<{}>\r\n", email.to).as_bytes())
        .await?;
    let (code, reply) = read_reply(&mut reader).await?;
    if code != 250 && code != 251 {
        return Err(SmtpError::Refused {
            command: "RCPT TO",
            reply,
        });
    }
    writer.write_all(b"DATA\r\n").await?;
    expect(&mut reader, "DATA", 354).await?;
    writer.write_all(message_text(email).as_bytes()).await?;
    expect(&mut reader, "the message", 250).await?;
    writer.write_all(b"QUIT\r\n").await?;
    // The message is accepted already; a relay that hangs up without a 221 changes nothing.
    let _ = read_reply(&mut reader).await;
    Ok(())
}

async fn expect<R: AsyncBufReadExt + Unpin>(
    reader: &mut R,
    command: &'static str,
    wanted: u16,
) -> Result<(), SmtpError> {
    let (code, reply) = read_reply(reader).await?;
    if code == wanted {
        Ok(())
    } else {
        Err(SmtpError::Refused { command, reply })
    }
}

/// Reads one reply, following `250-` continuation lines to the last `250 ` line, and gives its
/// code and text.
async fn read_reply<R: AsyncBufReadExt + Unpin>(
    reader: &mut R,
) -> Result<(u16, String), SmtpError> {
    let mut text = String::new();
    loop {
        let mut line = String::new();
        let read = reader.read_line(&mut line).await?;
        if read == 0 {
            return Err(SmtpError::Garbled(format!(
                "the connection closed after {text:?}"
            )));
        }
        if line.len() > MAX_REPLY_LINE_BYTES {
            return Err(SmtpError::Garbled("a reply line is too long".to_owned()));
        }
        let line = line.trim_end_matches(['\r', '\n']);
        let code = line
            .get(..3)
            .and_then(|code| code.parse::<u16>().ok())
            .ok_or_else(|| SmtpError::Garbled(line.to_owned()))?;
        if !text.is_empty() {
            text.push(' ');
        }
        text.push_str(line);
        match line.as_bytes().get(3) {
            Some(b'-') => continue,
            None | Some(b' ') => return Ok((code, text)),
            Some(_) => return Err(SmtpError::Garbled(line.to_owned())),
        }
    }
}

/// The message as sent after DATA: headers, a blank line, the body with CRLF line ends and
/// every line that starts with a dot doubled (RFC 5321 section 4.5.2), and the final dot.
fn message_text(email: &Email) -> String {
    let subject = email.subject.replace(['\r', '\n'], " ");
    let mut text = format!(
        "From: <{}>\r\nTo: <{}>\r\nSubject: {subject}\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n",
        email.from, email.to
    );
    for line in email.body.replace("\r\n", "\n").split('\n') {
        if line.starts_with('.') {
            text.push('.');
        }
        text.push_str(line);
        text.push_str("\r\n");
    }
    text.push_str(".\r\n");
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn email(body: &str) -> Email {
        Email {
            from: "bank@example.uz".to_owned(),
            to: "founder@example.uz".to_owned(),
            subject: "Hello".to_owned(),
            body: body.to_owned(),
        }
    }

    #[test]
    fn a_relay_url_gives_host_and_port() {
        assert_eq!(
            SmtpRelay::parse("smtp://relay.local:2525"),
            Ok(SmtpRelay {
                host: "relay.local".to_owned(),
                port: 2525
            })
        );
    }

    #[test]
    fn a_relay_url_without_port_means_port_25() {
        assert_eq!(
            SmtpRelay::parse("smtp://relay.local").map(|relay| relay.port),
            Ok(25)
        );
    }

    #[test]
    fn a_relay_url_with_another_scheme_is_refused() {
        assert_eq!(
            SmtpRelay::parse("smtps://relay.local:465"),
            Err(SmtpUrlError::Scheme)
        );
    }

    #[test]
    fn a_relay_url_with_a_bad_port_is_refused() {
        assert_eq!(SmtpRelay::parse("smtp://relay:0"), Err(SmtpUrlError::Port));
        assert_eq!(SmtpRelay::parse("smtp://relay:x"), Err(SmtpUrlError::Port));
        assert_eq!(SmtpRelay::parse("smtp://:25"), Err(SmtpUrlError::Host));
    }

    #[test]
    fn lines_starting_with_a_dot_are_doubled_and_the_message_ends_with_a_lone_dot() {
        let text = message_text(&email("first\n.hidden\n..two"));
        assert!(
            text.ends_with("\r\nfirst\r\n..hidden\r\n...two\r\n.\r\n"),
            "{text}"
        );
    }

    #[tokio::test]
    async fn a_multi_line_reply_is_read_to_its_last_line() {
        let mut input: &[u8] = b"250-relay greets you\r\n250-8BITMIME\r\n250 OK\r\n";
        let (code, text) = read_reply(&mut input).await.unwrap();
        assert_eq!(code, 250);
        assert!(text.ends_with("250 OK"), "{text}");
    }

    #[tokio::test]
    async fn a_reply_without_a_code_is_garbled() {
        let mut input: &[u8] = b"hello\r\n";
        assert!(matches!(
            read_reply(&mut input).await,
            Err(SmtpError::Garbled(_))
        ));
    }
}
