//! A small SMTP server on loopback for the mail tests: enough of RFC 5321 for lettre
//! (greeting, EHLO/HELO, MAIL, RCPT, DATA with dot-unstuffing, RSET, NOOP, QUIT). It keeps
//! every accepted message, can refuse the next few messages with a 451 after their data, and
//! can be stopped and started again on the same port. It listens on 127.0.0.1 only.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{JoinHandle, JoinSet};

/// One message as the server accepted it.
#[derive(Debug, Clone)]
pub struct Received {
    pub mail_from: String,
    pub rcpt_to: Vec<String>,
    /// The message after dot-unstuffing, without the terminating `.` line.
    pub data: Vec<u8>,
}

#[derive(Default)]
struct Shared {
    received: Mutex<Vec<Received>>,
    /// Messages still to refuse with a 451 after their data.
    refuse: AtomicUsize,
    /// Connections accepted, for tests that want to know a client came by.
    connections: AtomicUsize,
}

pub struct SmtpServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    task: Option<JoinHandle<()>>,
}

impl SmtpServer {
    /// Starts on a free port of 127.0.0.1.
    pub async fn start() -> SmtpServer {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind SMTP test server");
        let addr = listener.local_addr().expect("local address");
        let shared = Arc::new(Shared::default());
        let task = tokio::spawn(serve(listener, shared.clone()));
        SmtpServer {
            addr,
            shared,
            task: Some(task),
        }
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// Stops listening and drops every open connection: clients get "connection refused".
    pub async fn stop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
            // Wait until the listener (and the connections it owns) are really gone.
            task.await.ok();
        }
    }

    /// Starts again on the same port, keeping what was received.
    pub async fn restart(&mut self) {
        self.stop().await;
        let mut tries = 0;
        let listener = loop {
            match TcpListener::bind(self.addr).await {
                Ok(listener) => break listener,
                Err(e) if tries < 50 => {
                    tries += 1;
                    let _ = e;
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                }
                Err(e) => panic!("SMTP test server cannot listen on {} again: {e}", self.addr),
            }
        };
        self.task = Some(tokio::spawn(serve(listener, self.shared.clone())));
    }

    pub fn received(&self) -> Vec<Received> {
        self.shared
            .received
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Refuses the next `count` messages with "451" after their data has been sent.
    pub fn refuse_next(&self, count: usize) {
        self.shared.refuse.store(count, Ordering::SeqCst);
    }

    pub fn connections(&self) -> usize {
        self.shared.connections.load(Ordering::SeqCst)
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

async fn serve(listener: TcpListener, shared: Arc<Shared>) {
    // Owned here, so aborting this task also ends every connection.
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                shared.connections.fetch_add(1, Ordering::SeqCst);
                connections.spawn(session(stream, shared.clone()));
            }
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

async fn session(stream: TcpStream, shared: Arc<Shared>) {
    let (reader, mut writer) = stream.into_split();
    let mut reader = BufReader::new(reader);
    if writer
        .write_all(b"220 localhost plusmarkt test SMTP\r\n")
        .await
        .is_err()
    {
        return;
    }
    let mut mail_from: Option<String> = None;
    let mut rcpt_to: Vec<String> = Vec::new();
    let mut line = Vec::new();
    loop {
        line.clear();
        match reader.read_until(b'\n', &mut line).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let command = String::from_utf8_lossy(&line).trim_end().to_string();
        let verb = command
            .split_whitespace()
            .next()
            .unwrap_or("")
            .to_ascii_uppercase();
        let reply: &[u8] = match verb.as_str() {
            "EHLO" => b"250-localhost\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n",
            "HELO" => b"250 localhost\r\n",
            "MAIL" => match address_after(&command, "FROM:") {
                Some(address) => {
                    mail_from = Some(address);
                    rcpt_to.clear();
                    b"250 2.1.0 OK\r\n"
                }
                None => b"501 5.5.4 syntax: MAIL FROM:<address>\r\n",
            },
            "RCPT" => match (&mail_from, address_after(&command, "TO:")) {
                (Some(_), Some(address)) => {
                    rcpt_to.push(address);
                    b"250 2.1.5 OK\r\n"
                }
                (None, _) => b"503 5.5.1 MAIL first\r\n",
                (_, None) => b"501 5.5.4 syntax: RCPT TO:<address>\r\n",
            },
            "DATA" => {
                if mail_from.is_none() || rcpt_to.is_empty() {
                    b"503 5.5.1 MAIL and RCPT first\r\n"
                } else {
                    if writer
                        .write_all(b"354 end data with <CR><LF>.<CR><LF>\r\n")
                        .await
                        .is_err()
                    {
                        return;
                    }
                    let Some(data) = read_data(&mut reader).await else {
                        return;
                    };
                    let refuse = shared
                        .refuse
                        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                        .is_ok();
                    let from = mail_from.take().unwrap_or_default();
                    let to = std::mem::take(&mut rcpt_to);
                    if refuse {
                        b"451 4.3.0 try again later\r\n"
                    } else {
                        shared
                            .received
                            .lock()
                            .unwrap_or_else(|p| p.into_inner())
                            .push(Received {
                                mail_from: from,
                                rcpt_to: to,
                                data,
                            });
                        b"250 2.0.0 OK queued\r\n"
                    }
                }
            }
            "RSET" => {
                mail_from = None;
                rcpt_to.clear();
                b"250 2.0.0 OK\r\n"
            }
            "NOOP" => b"250 2.0.0 OK\r\n",
            "QUIT" => {
                writer.write_all(b"221 2.0.0 bye\r\n").await.ok();
                return;
            }
            _ => b"502 5.5.2 command not implemented\r\n",
        };
        if writer.write_all(reply).await.is_err() {
            return;
        }
    }
}

/// The address in `MAIL FROM:<a@b> PARAMS` / `RCPT TO:<a@b>`.
fn address_after(command: &str, keyword: &str) -> Option<String> {
    let upper = command.to_ascii_uppercase();
    let start = upper.find(keyword)? + keyword.len();
    let rest = command[start..].trim_start();
    let rest = rest.strip_prefix('<')?;
    let end = rest.find('>')?;
    Some(rest[..end].to_string())
}

/// Reads message lines up to the lone ".", undoing dot-stuffing.
async fn read_data<R: tokio::io::AsyncBufRead + Unpin>(reader: &mut R) -> Option<Vec<u8>> {
    let mut data = Vec::new();
    let mut line = Vec::new();
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line).await.ok()? == 0 {
            return None;
        }
        if line == b".\r\n" || line == b".\n" {
            return Some(data);
        }
        let content = if line.starts_with(b".") {
            &line[1..]
        } else {
            &line[..]
        };
        data.extend_from_slice(content);
    }
}
